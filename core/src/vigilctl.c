/* SPDX-License-Identifier: MIT */
/* vigilctl entry point (being written). */
#include <stdio.h>

int main(void)
{
    puts("vigilctl");
    return 0;
}
