/* SPDX-License-Identifier: MIT */
/* vigild entry point (being written). */
#include <stdio.h>

int main(void)
{
    puts("vigild");
    return 0;
}
