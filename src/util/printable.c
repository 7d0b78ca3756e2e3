/* UTF-8 validation and escaping for the terminal. The decoder follows RFC 3629 (no
 * overlong forms, no surrogates, nothing above U+10FFFF), so a byte sequence is either
 * one well-formed character or escaped byte by byte. */
#include "util/printable.h"

#include <stdint.h>
#include <stdlib.h>

/* The length of the well-formed UTF-8 character at text (1..4), or 0 when the bytes
 * there are not one; *code_point receives it. */
static int decode(const unsigned char *text, uint32_t *code_point)
{
	unsigned char lead = text[0];
	int length;
	uint32_t value, minimum;
	if (lead < 0x80) {
		*code_point = lead;
		return 1;
	}
	if (lead >= 0xc2 && lead <= 0xdf)
		length = 2, value = lead & 0x1f, minimum = 0x80;
	else if (lead >= 0xe0 && lead <= 0xef)
		length = 3, value = lead & 0x0f, minimum = 0x800;
	else if (lead >= 0xf0 && lead <= 0xf4)
		length = 4, value = lead & 0x07, minimum = 0x10000;
	else
		return 0;
	/* a NUL ends the string, and is not a continuation byte, so this never reads past it */
	for (int i = 1; i < length; i++) {
		if ((text[i] & 0xc0) != 0x80)
			return 0;
		value = value << 6 | (text[i] & 0x3f);
	}
	if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
		return 0;
	*code_point = value;
	return length;
}

/* C0, DEL and C1, and the invisible marks that reorder text (a right-to-left override
 * makes "evil\u202egp.txt" show as "eviltxt.pg": Unicode's Trojan Source characters) */
static bool is_control(uint32_t code_point)
{
	return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f) ||
	       code_point == 0x061c || code_point == 0x200e || code_point == 0x200f ||
	       (code_point >= 0x202a && code_point <= 0x202e) ||
	       (code_point >= 0x2066 && code_point <= 0x2069);
}

size_t text_printable_length(const char *text)
{
	uint32_t code_point;
	int length = decode((const unsigned char *)text, &code_point);
	return length && *text && !is_control(code_point) ? (size_t)length : 0;
}

bool text_is_printable(const char *text, size_t *offset)
{
	const unsigned char *at = (const unsigned char *)text;
	while (*at) {
		uint32_t code_point;
		int length = decode(at, &code_point);
		if (!length || is_control(code_point)) {
			if (offset)
				*offset = (size_t)(at - (const unsigned char *)text);
			return false;
		}
		at += length;
	}
	return true;
}

void text_escape_printable(struct strbuf *out, const char *text)
{
	const unsigned char *at = (const unsigned char *)text;
	while (*at) {
		uint32_t code_point;
		int length = decode(at, &code_point);
		if (length && !is_control(code_point)) {
			strbuf_add(out, (const char *)at, (size_t)length);
			at += length;
			continue;
		}
		/* a control character as its code point (C1 ones take two bytes), which is also
		 * how YAML's double-quoted style writes it; a stray byte as itself */
		if (length && code_point > 0xff)
			strbuf_printf(out, "\\u%04x", (unsigned)code_point);
		else
			strbuf_printf(out, "\\x%02x", length ? (unsigned)code_point : at[0]);
		at += length ? length : 1;
	}
}

void text_fit_columns(struct strbuf *out, const char *text, int columns)
{
	int used = 0;
	for (const char *at = text; *at && used < columns; used++) {
		size_t length = text_printable_length(at);
		if (!length) /* not printable: the caller escaped nothing; one byte at a time */
			length = 1;
		strbuf_add(out, at, length);
		at += length;
	}
	for (; used < columns; used++)
		strbuf_puts(out, " ");
}

char *text_printable(const char *text)
{
	if (!text)
		return NULL;
	struct strbuf out;
	strbuf_init(&out);
	text_escape_printable(&out, text);
	return strbuf_detach(&out);
}

const char *shown_text(struct shown *shown, const void *text)
{
	if (!text)
		return "-";
	if (shown->count == SHOWN_MAX) /* a programming error, caught by the tests */
		abort();
	return shown->texts[shown->count++] = text_printable(text);
}

void shown_free(struct shown *shown)
{
	for (int i = 0; i < shown->count; i++)
		free(shown->texts[i]);
	shown->count = 0;
}
