/* Formatting of sizes and durations. */
#include "util/units.h"

#include <math.h>
#include <stdio.h>

char *format_bytes(char *buffer, size_t size, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	int unit = 0;
	while (bytes >= 1024.0 && unit < 6) {
		bytes /= 1024.0;
		unit++;
	}
	if (unit == 0)
		snprintf(buffer, size, "%.0f B", bytes);
	else
		snprintf(buffer, size, "%.1f %s", bytes, units[unit]);
	return buffer;
}

char *format_duration(char *buffer, size_t size, double seconds)
{
	if (!isfinite(seconds) || seconds < 0) {
		snprintf(buffer, size, "--:--");
	} else if (seconds < 60) {
		snprintf(buffer, size, "%.1f s", seconds);
	} else {
		long total = lround(seconds);
		if (total >= 3600)
			snprintf(buffer, size, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60,
				 total % 60);
		else
			snprintf(buffer, size, "%ld:%02ld", total / 60, total % 60);
	}
	return buffer;
}

const char *format_norm(char *buffer, size_t size, double value, int is_null)
{
	if (is_null || isnan(value))
		snprintf(buffer, size, "-");
	else if (value == 0)
		snprintf(buffer, size, "0");
	else
		snprintf(buffer, size, "%.3e", value);
	return buffer;
}

const char *format_count(char *buffer, size_t size, long long count)
{
	static const char suffixes[] = "kMGTPE";
	if (count > -1000000 && count < 1000000) {
		snprintf(buffer, size, "%lld", count);
		return buffer;
	}
	double value = (double)count;
	int suffix = -1;
	/* %.3g rounds 999.96k up to "1e+03k": move to the next suffix before it can */
	while (fabs(value) >= 999.5 && suffixes[suffix + 1]) {
		value /= 1000;
		suffix++;
	}
	snprintf(buffer, size, "%.3g%c", value, suffixes[suffix]);
	return buffer;
}

const char *format_number(char *buffer, size_t size, double value)
{
	if (isnan(value))
		snprintf(buffer, size, "-");
	else
		snprintf(buffer, size, "%.4g", value);
	return buffer;
}
