/* Terminal size, locale and character widths for live views. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "util/terminal.h"

#include <langinfo.h>
#include <locale.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

bool terminal_size(int fd, int *columns, int *rows)
{
	struct winsize size;
	if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &size) || size.ws_col == 0)
		return false;
	*columns = size.ws_col;
	*rows = size.ws_row;
	return true;
}

bool terminal_locale_is_utf8(void)
{
	if (!setlocale(LC_CTYPE, ""))
		return false;
	const char *codeset = nl_langinfo(CODESET);
	return codeset && (!strcmp(codeset, "UTF-8") || !strcmp(codeset, "utf8"));
}

int terminal_character_columns(const char *character, size_t length)
{
	if (length == 1)
		return 1;
	wchar_t wide;
	mbstate_t state;
	memset(&state, 0, sizeof state);
	if (mbrtowc(&wide, character, length, &state) != length)
		return 1; /* a locale that is not UTF-8: the terminal shows something, say one */
	int columns = wcwidth(wide);
	return columns < 0 ? 1 : columns;
}
