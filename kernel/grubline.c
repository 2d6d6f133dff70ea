#include "grubline.h"

void grub_cmdline_unquote(char *s)
{
    char *d = s;
    for (; *s; s++) {
        if (*s == '\\' && (s[1] == '\\' || s[1] == '\'' || s[1] == '"')) *d++ = *++s;
        else if (*s != '"') *d++ = *s;      /* an unescaped quote only groups */
    }
    *d = '\0';
}
