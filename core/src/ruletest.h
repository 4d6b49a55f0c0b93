/* SPDX-License-Identifier: MIT */
/*
 * Running the test cases of rule files ("tests" in rules/NAME.json): each case's
 * input is replayed through its file's rules alone, on a throw-away private Redis
 * without actions, and the records must be exactly the expected ones.
 */
#ifndef VG_CORE_RULETEST_H
#define VG_CORE_RULETEST_H

#include "config.h"
#include "rule.h"
#include "util.h"

/*
 * Run one case with the plugins and templates of c. Mismatches are added to diag
 * as "FILE: $.tests[i] (NAME): reason". Returns 0 when the case passed, else -1.
 */
int ruletest_run(const struct vg_config *c, const struct rule_test *t, struct diag *diag);

#endif /* VG_CORE_RULETEST_H */
