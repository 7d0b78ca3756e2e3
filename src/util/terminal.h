/* What a live view needs to know about the terminal it draws on, and the few plain
 * ANSI (VT100) sequences it sends: no terminfo, since every terminal gtrack meets (xterm
 * and kin, tmux, screen, the Linux console, SSH clients) understands these, and a
 * database cannot be shown wrongly for want of a terminfo entry. */
#ifndef GT_TERMINAL_H
#define GT_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>

/* Cursor home, clear to the end of the line / of the screen, hide and show the cursor. */
#define TERMINAL_HOME "\033[H"
#define TERMINAL_CLEAR_LINE "\033[K"
#define TERMINAL_CLEAR_BELOW "\033[J"
#define TERMINAL_HIDE_CURSOR "\033[?25l"
#define TERMINAL_SHOW_CURSOR "\033[?25h"

/* The size of the terminal on fd, read again at every call (the window may have been
 * resized). Returns false, leaving the outputs alone, when fd is not a terminal or the
 * terminal reports no size (a pseudo-terminal nobody sized). */
bool terminal_size(int fd, int *columns, int *rows);

/* Whether the user's locale (LANG, LC_ALL, LC_CTYPE) encodes text as UTF-8, so that
 * block characters can be drawn. Sets LC_CTYPE from the environment (nothing else: numbers
 * keep their C format). */
bool terminal_locale_is_utf8(void);

/* The columns a printable UTF-8 character (as text_printable_length measures it) takes:
 * 0 for combining marks, 2 for wide ones, 1 when the locale cannot say. */
int terminal_character_columns(const char *character, size_t length);

#endif
