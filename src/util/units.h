/* Human-readable quantities for messages and tables. */
#ifndef GT_UNITS_H
#define GT_UNITS_H

#include <stddef.h>

/* Writes e.g. "1.5 GiB" into buffer; returns buffer. */
char *format_bytes(char *buffer, size_t size, double bytes);
/* Writes e.g. "1:05:09" or "4.2 s"; returns buffer. */
char *format_duration(char *buffer, size_t size, double seconds);

/* Writes a count for a narrow column: exact below a million, else three digits and a
 * suffix ("1.23M", "100M", "2.5G"); returns buffer. */
const char *format_count(char *buffer, size_t size, long long count);

/* Writes a norm or ratio for tables: "1.234e-07", "0", "inf", or "-" for NULL and NaN;
 * returns buffer. */
const char *format_norm(char *buffer, size_t size, double value, int is_null);
/* Writes a value with four significant digits ("%.4g", as in a paper's table), or "-"
 * for NaN (a value not predicted); returns buffer. */
const char *format_number(char *buffer, size_t size, double value);

#endif
