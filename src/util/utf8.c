/* Printable UTF-8: what can be shown or pasted as it is. */
#include "util/utf8.h"

size_t utf8_printable_length(const char *text)
{
	const unsigned char *bytes = (const unsigned char *)text;
	unsigned char lead = bytes[0];
	if (lead < 0x80)
		return lead >= 0x20 && lead != 0x7f;
	size_t length = lead >= 0xc2 && lead <= 0xdf   ? 2
			: lead >= 0xe0 && lead <= 0xef ? 3
			: lead >= 0xf0 && lead <= 0xf4 ? 4
						       : 0;
	for (size_t i = 1; i < length; i++)
		if ((bytes[i] & 0xc0) != 0x80)
			return 0;
	if ((lead == 0xe0 && bytes[1] < 0xa0) || (lead == 0xed && bytes[1] > 0x9f) ||
	    (lead == 0xf0 && bytes[1] < 0x90) || (lead == 0xf4 && bytes[1] > 0x8f))
		return 0;
	if (lead == 0xc2 && bytes[1] <= 0x9f) /* U+0080..U+009F: C1 controls */
		return 0;
	return length;
}

bool utf8_printable(const char *text)
{
	while (*text) {
		size_t length = utf8_printable_length(text);
		if (!length)
			return false;
		text += length;
	}
	return true;
}
