/* Writing specs out: the canonical resolved YAML (stored with each run and hashed into
 * spec_hash) and the key reference of `gtrack help spec`. Both walk the field table. */
#include "spec/spec.h"
#include "spec/spec_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static void emit_string(struct strbuf *out, const char *text)
{
	strbuf_puts(out, "\"");
	for (const char *c = text; *c; c++) {
		if (*c == '"' || *c == '\\')
			strbuf_printf(out, "\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			strbuf_printf(out, "\\x%02x", (unsigned char)*c);
		else
			strbuf_add(out, c, 1);
	}
	strbuf_puts(out, "\"");
}

/* What a dump is for: a resolved spec to store and re-run, or the text spec_hash is
 * computed from. */
enum emit_purpose { EMIT_ALL, EMIT_WITHOUT_IDENTITY, EMIT_CANONICAL };

static void emit_fields(const struct spec *spec, const struct spec_field *fields,
			struct strbuf *out, int indent, enum emit_purpose purpose)
{
	for (; fields->key; fields++) {
		const void *value = (const char *)spec + fields->offset;
		if (purpose != EMIT_ALL && indent == 0 &&
		    (!strcmp(fields->key, "name") || !strcmp(fields->key, "seed")))
			continue;
		/* an empty path, as a generated dataset has, keeps those specs' hashes what
		 * they were before file contents entered the hash */
		if (purpose == EMIT_CANONICAL && fields->names_data_file) {
			strbuf_printf(out, "%*s%s: \"\"\n", indent, "", fields->key);
			continue;
		}
		size_t start = out->length;
		strbuf_printf(out, "%*s%s:", indent, "", fields->key);
		size_t value_start = out->length;
		switch (fields->type) {
		case FIELD_INT:
			strbuf_printf(out, " %lld\n", (long long)*(const int64_t *)value);
			break;
		case FIELD_REAL: {
			/* %.17g round-trips every double, so the hash sees the exact value; a
			 * dot is added where it has none ("1.0", "1.0e-08"), because YAML 1.1
			 * readers such as PyYAML take 1e-08 for a string */
			char number[40];
			snprintf(number, sizeof number, "%.17g", *(const double *)value);
			char *exponent = strchr(number, 'e');
			if (!strchr(number, '.') && isfinite(*(const double *)value)) {
				if (exponent)
					strbuf_printf(out, " %.*s.0%s\n", (int)(exponent - number), number,
						      exponent);
				else
					strbuf_printf(out, " %s.0\n", number);
			} else {
				strbuf_printf(out, " %s\n", number);
			}
			break;
		}
		case FIELD_BOOL:
			strbuf_printf(out, " %s\n", *(const bool *)value ? "true" : "false");
			break;
		case FIELD_STRING:
			strbuf_puts(out, " ");
			emit_string(out, *(char *const *)value ? *(char *const *)value : "");
			strbuf_puts(out, "\n");
			break;
		case FIELD_CHOICE:
			strbuf_printf(out, " %s\n", fields->choices[*(const int *)value]);
			break;
		case FIELD_STEPS: {
			const struct step_list *list = value;
			strbuf_puts(out, " [");
			for (int i = 0; i < list->count; i++)
				strbuf_printf(out, "%s%lld", i ? ", " : "", (long long)list->steps[i]);
			strbuf_printf(out, "%s]\n", list->final ? (list->count ? ", final" : "final") : "");
			break;
		}
		case FIELD_SECTION:
			strbuf_puts(out, "\n");
			emit_fields(spec, fields->fields, out, indent + 2, purpose);
			break;
		}
		/* a key added after runs were recorded enters the hash only when set to
		 * something else than its default, so those runs keep their spec_hash */
		if (purpose == EMIT_CANONICAL && fields->hashed_unless_default &&
		    out->length - value_start == strlen(fields->default_text) + 2 &&
		    !strncmp(out->text + value_start + 1, fields->default_text,
			     strlen(fields->default_text))) {
			out->length = start;
			out->text[start] = '\0';
		}
	}
}

void spec_emit(const struct spec *spec, struct strbuf *out, bool include_identity)
{
	emit_fields(spec, spec_root_fields, out, 0,
		    include_identity ? EMIT_ALL : EMIT_WITHOUT_IDENTITY);
}

void spec_emit_canonical(const struct spec *spec, struct strbuf *out)
{
	emit_fields(spec, spec_root_fields, out, 0, EMIT_CANONICAL);
	/* Residual networks recorded before blocks existed made layer 0 residual when the
	 * input size equalled the width; the stem is now outside every block. The marker
	 * gives every residual spec a new hash, so a resumed sweep or a merge never takes an
	 * old run of a different network for this one. */
	if (spec->model.residual.enabled)
		strbuf_puts(out, "residual_layout: stem_outside_blocks\n");
	if (spec->data_hash[0])
		strbuf_printf(out, "data_hash: %s\n", spec->data_hash);
}

/* Writes text indented by four spaces, wrapped at 88 columns, for terminals and papers. */
static void describe_wrapped(struct strbuf *out, const char *text)
{
	const int width = 88 - 4;
	while (*text) {
		int length = (int)strlen(text);
		if (length > width) {
			length = width;
			while (length > 0 && text[length] != ' ')
				length--;
			if (length == 0)
				length = width;
		}
		strbuf_printf(out, "    %.*s\n", length, text);
		text += length;
		while (*text == ' ')
			text++;
	}
}

static void describe_fields(const struct spec_field *fields, const char *prefix,
			    struct strbuf *out)
{
	for (; fields->key; fields++) {
		char path[160];
		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", fields->key);
		if (fields->type == FIELD_SECTION) {
			strbuf_printf(out, "%s\n", path);
			describe_wrapped(out, fields->doc);
			describe_fields(fields->fields, path, out);
			continue;
		}
		char expected[256];
		spec_field_expectation(fields, expected, sizeof expected);
		strbuf_printf(out, "%s: %s", path, expected);
		if (fields->default_text)
			strbuf_printf(out, " (default: %s)", fields->default_text);
		strbuf_puts(out, "\n");
		describe_wrapped(out, fields->doc);
	}
}

void spec_describe(struct strbuf *out)
{
	describe_fields(spec_root_fields, "", out);
}
