/* SPDX-License-Identifier: MIT */
/*
 * The CUnit runner: `vg_unit` runs every suite, `vg_unit NAME...` the named ones.
 * The suite table is generated from the test/unit/test_<name>.c files.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

struct suite_row {
    const char *name;  /* suite name, from the file name */
    void (*add)(void); /* registers the suite with CUnit */
};

#include "suites.inc"

int main(int argc, char **argv)
{
    unsigned failures;
    size_t i;
    int k;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: vg_unit [SUITE...]\nsuites:");
        for (i = 0; i < sizeof(suite_table) / sizeof(suite_table[0]); i++) {
            printf(" %s", suite_table[i].name);
        }
        printf("\n");
        return 0;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) {
        return 2;
    }
    for (i = 0; i < sizeof(suite_table) / sizeof(suite_table[0]); i++) {
        int wanted = argc == 1;

        for (k = 1; k < argc; k++) {
            if (strcmp(argv[k], suite_table[i].name) == 0) {
                wanted = 1;
            }
        }
        if (wanted) {
            suite_table[i].add();
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures != 0;
}
