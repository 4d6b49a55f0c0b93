/* SPDX-License-Identifier: MIT */
/*
 * The emergency procedure (shared/seed/procedure.en.md) as data: the steps of
 * each section of 5.2, which every incident carries as its playbook. Steps
 * start "pending"; actions and operators mark them done later.
 */
#include <string.h>

#include "incident.h"

struct step {
    const char *id;   /* section number of the step, e.g. "5.2.1.1" */
    const char *text; /* what the step asks for */
};

/* clang-format off */
static const struct step steps[] = {
    {"5.2.1.1", "isolate the attacked server or device from the network, preserve the scene, report to the IT leadership group"},
    {"5.2.1.2", "information-security lead analyses the scene, keeps records, reports to the competent authority when necessary"},
    {"5.2.1.3", "restore and rebuild the attacked system"},
    {"5.2.1.4", "leadership group meets; if serious, report to the municipal IT office and police"},
    {"5.2.2.1", "report to the information-security lead and isolate the infected machine from the network"},
    {"5.2.2.2", "security staff come at once"},
    {"5.2.2.3", "back up the device's disk"},
    {"5.2.2.4", "clean it with anti-virus software; scan and clean the other machines"},
    {"5.2.2.5", "if the anti-virus software cannot remove it: report to the leadership group, contact the vendor"},
    {"5.2.2.6", "if serious: report to the municipal IT office and police"},
    {"5.2.3.2", "report to the security lead and stop the attacked system"},
    {"5.2.3.3", "check the system's logs for the attack's source, report to the leadership group, restore software and data"},
    {"5.2.3.4", "if serious: report to the municipal IT office and police"},
    {"5.2.4.2", "on-duty staff start the standby database and report to the security lead"},
    {"5.2.4.3", "while the standby runs, repair the primary and recover its data"},
    {"5.2.4.4", "if both systems crashed and cannot be recovered: request emergency support from the vendors"},
    {"5.2.5.1", "on-duty staff report the WAN outage to the security lead"},
    {"5.2.5.2", "find the faulty node and the cause"},
    {"5.2.5.3", "if the fault is ours: restore it at once"},
    {"5.2.5.4", "if the fault is the carrier's: contact the carrier's maintenance and request repair"},
    {"5.2.5.5", "if necessary, report to the leadership group"},
    {"5.2.6.2", "find the faulty node and cause, report to the network security group leader"},
    {"5.2.6.3", "line fault: re-lay the line"},
    {"5.2.6.4", "router or switch fault: connect and test a spare device from the designated location"},
    {"5.2.6.5", "configuration damaged: reconfigure as required and test"},
    {"5.2.6.6", "if necessary, report to the leadership group"},
    {"5.2.7.1", "on-duty staff report the damaged device to the security lead"},
    {"5.2.7.2", "find the cause"},
    {"5.2.7.3", "if it can be fixed in-house: replace the damaged part with a spare"},
    {"5.2.7.4", "if not: contact the supplier and request a maintenance engineer"},
    {"5.2.7.5", "if it cannot be repaired soon: report to the leadership group"},
    {"5.3.1", "R&D/production assess the incident's effect on the safety and effectiveness of the registered software product and how to reduce it"},
    {"5.3.2", "if the measures affect a registered, released product: notify customers or recall it under the adverse events, advisory notices and recall procedure"},
};
/* clang-format on */

void procedure_playbook_json(const char *section, struct sbuf *out)
{
    size_t slen = section != NULL ? strlen(section) : 0;
    size_t i;
    int first = 1;

    sbuf_addc(out, '[');
    for (i = 0; slen > 0 && i < ARRAY_SIZE(steps); i++) {
        const char *id = steps[i].id;

        /* "5.2.1" selects its steps; a step number such as "5.2.6.5" selects one step. */
        if (strncmp(id, section, slen) != 0 || (id[slen] != '\0' && id[slen] != '.')) {
            continue;
        }
        if (!first) {
            sbuf_addc(out, ',');
        }
        first = 0;
        sbuf_printf(out, "{\"step\":\"%s\",\"text\":\"", id);
        sbuf_add_json_str(out, steps[i].text, strlen(steps[i].text));
        sbuf_adds(out, "\",\"status\":\"pending\"}");
    }
    sbuf_addc(out, ']');
}

const char *procedure_step_text(const char *id)
{
    size_t i;

    for (i = 0; id != NULL && i < ARRAY_SIZE(steps); i++) {
        if (strcmp(steps[i].id, id) == 0) {
            return steps[i].text;
        }
    }
    return NULL;
}
