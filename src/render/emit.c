/* emit.c: rendered objects as text, the way `kustomize build` prints them. kustomize turns
 * each object into JSON and back into YAML with go-yaml v2, so its output has map keys in
 * go-yaml's natural order, and each scalar in the style go-yaml picks: plain where a reader
 * would read the same string back, double-quoted where it would read a number, boolean,
 * null or date, a literal block for text with line breaks. go-yaml's emitter is a port of
 * libyaml's, so libyaml writes the rest (indentation, folding at 80 columns, the quoting a
 * string's characters force) as go-yaml does. */
#include "kvet/render.h"

#include "kvet/alloc.h"
#include "kvet/sort.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- go-yaml's reading of a plain scalar ---- */

static bool all_digits(const char *s, size_t n, int base)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = base == 16 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			: base == 8 ? (c >= '0' && c <= '7') : base == 2 ? (c == '0' || c == '1') : (c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

/* An integer as Go's strconv.ParseInt(s, 0, 64) or ParseUint accepts it, range aside
 * (go-yaml reads out-of-range integers as big integers, still not strings). Underscores
 * are already gone. */
static bool go_int(const char *s, size_t n)
{
	if (n && (s[0] == '+' || s[0] == '-')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return all_digits(s + 2, n - 2, 16);
	if (n >= 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		return all_digits(s + 2, n - 2, 8);
	if (n >= 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		return all_digits(s + 2, n - 2, 2);
	if (n >= 2 && s[0] == '0')
		return all_digits(s + 1, n - 1, 8);
	return all_digits(s, n, 10);
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_float(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	size_t d0 = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	bool intpart = i > d0;
	if (i < n && s[i] == '.') {
		i++;
		size_t f0 = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (!intpart && i == f0)
			return false;
	} else if (!intpart) {
		return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e0 = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e0)
			return false;
	}
	return i == n;
}

/* Go's strconv.ParseFloat on a string starting with '.': ".5", ".5e3" (and ".inf" forms,
 * which the table below holds). */
static bool go_float_dot(const char *s, size_t n)
{
	return yaml_float(s, n);
}

static bool digits_n(const char *s, size_t n, size_t min, size_t max, size_t *used)
{
	size_t i = 0;
	while (i < n && i < max && s[i] >= '0' && s[i] <= '9')
		i++;
	*used = i;
	return i >= min;
}

/* A date or time in one of the layouts go-yaml reads as a timestamp: 2006-1-2,
 * 2006-1-2T15:4:5.999999999Z07:00 (T or t), 2006-1-2 15:4:5.999999999. Ranges of the
 * fields are checked as Go's time.Parse does. */
static bool go_timestamp(const char *s, size_t n)
{
	size_t u, i = 0;
	if (!digits_n(s, n, 4, 4, &u) || u != 4 || n <= 4 || s[4] != '-')
		return false;
	i = 5;
	if (!digits_n(s + i, n - i, 1, 2, &u))
		return false;
	int month = atoi(s + i);
	i += u;
	if (i >= n || s[i] != '-')
		return false;
	i++;
	if (!digits_n(s + i, n - i, 1, 2, &u))
		return false;
	int day = atoi(s + i);
	i += u;
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return false;
	if (i == n)
		return true;
	char sep = s[i];
	if (sep != 'T' && sep != 't' && sep != ' ')
		return false;
	i++;
	int parts[3];
	for (int p = 0; p < 3; p++) {
		if (!digits_n(s + i, n - i, 1, 2, &u))
			return false;
		parts[p] = atoi(s + i);
		i += u;
		if (p < 2) {
			if (i >= n || s[i] != ':')
				return false;
			i++;
		}
	}
	if (parts[0] > 23 || parts[1] > 59 || parts[2] > 59)
		return false;
	if (i < n && s[i] == '.') {
		i++;
		if (!digits_n(s + i, n - i, 1, 9, &u))
			return false;
		i += u;
	}
	if (sep == ' ')
		return i == n;
	if (i < n && s[i] == 'Z')
		return i + 1 == n;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		i++;
		if (n - i != 5 || !digits_n(s + i, 2, 2, 2, &u) || s[i + 2] != ':' || !digits_n(s + i + 3, 2, 2, 2, &u))
			return false;
		return true;
	}
	return false;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ : YAML 1.1 base-60 numbers, which
 * go-yaml quotes. */
static bool base60(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return false;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	int groups = 0;
	while (i < n && s[i] == ':') {
		i++;
		size_t d0 = i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - d0 < 2)
			i++;
		size_t nd = i - d0;
		if (nd == 0 || (nd == 2 && s[d0] > '5'))
			return false;
		groups++;
	}
	if (!groups)
		return false;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			i++;
	}
	return i == n;
}

static const char *const special_words[] = {
	"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
	"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
	"", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
	"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
};

/* True when go-yaml would read s, written plain, as something other than a string. */
static bool resolves_to_non_string(const char *s, size_t n)
{
	char c = n ? s[0] : 'N';
	bool hinted = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || strchr("yYnNtTfFoO~", c) || !n;
	if (!hinted)
		return false;
	for (size_t i = 0; i < sizeof special_words / sizeof special_words[0]; i++)
		if (strlen(special_words[i]) == n && memcmp(special_words[i], s, n) == 0)
			return true;
	if (c == '.')
		return go_float_dot(s, n);
	if (!((c >= '0' && c <= '9') || c == '+' || c == '-'))
		return false;
	if (go_timestamp(s, n))
		return true;
	char plain[128];
	size_t pn = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_')
			continue;
		if (pn + 1 >= sizeof plain)
			return false; /* too long for any number go-yaml reads */
		plain[pn++] = s[i];
	}
	plain[pn] = '\0';
	if (go_int(plain, pn) || yaml_float(plain, pn))
		return true;
	if (pn > 3 && strncmp(plain, "-0b", 3) == 0)
		return all_digits(plain + 3, pn - 3, 2);
	return false;
}

/* ---- go-yaml's order of map keys: runs of digits compare as numbers, letters before
 * other characters ---- */

static size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	unsigned char c = (unsigned char)s[0];
	size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (len > n)
		len = 1;
	uint32_t v = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
	for (size_t i = 1; i < len; i++)
		v = (v << 6) | ((unsigned char)s[i] & 0x3F);
	*cp = v;
	return len;
}

static size_t to_runes(const kv_node *k, uint32_t **out)
{
	uint32_t *r = kv_xmalloc(sizeof *r * (k->len + 1));
	size_t n = 0;
	for (size_t i = 0; i < k->len;)
		i += utf8_decode(k->u.s + i, k->len - i, &r[n++]);
	*out = r;
	return n;
}

static bool is_letter(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == 0xAA || c == 0xB5 || c == 0xBA ||
	       (c >= 0xC0 && c != 0xD7 && c != 0xF7);
}

static bool is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static bool natural_less(const uint32_t *a, size_t an, const uint32_t *b, size_t bn)
{
	for (size_t i = 0; i < an && i < bn; i++) {
		if (a[i] == b[i])
			continue;
		bool al = is_letter(a[i]), bl = is_letter(b[i]);
		if (al && bl)
			return a[i] < b[i];
		if (al || bl)
			return bl;
		int64_t av = 0, bv = 0;
		if (a[i] == '0' || b[i] == '0') {
			for (size_t j = i; j-- > 0 && is_digit(a[j]);) {
				if (a[j] != '0') {
					av = bv = 1;
					break;
				}
			}
		}
		size_t ai = i, bi = i;
		for (; ai < an && is_digit(a[ai]); ai++)
			av = av * 10 + (int64_t)(a[ai] - '0');
		for (; bi < bn && is_digit(b[bi]); bi++)
			bv = bv * 10 + (int64_t)(b[bi] - '0');
		if (av != bv)
			return av < bv;
		if (ai != bi)
			return ai < bi;
		return a[i] < b[i];
	}
	return an < bn;
}

typedef struct {
	const kv_pair *pair;
	uint32_t *runes;
	size_t n;
} sorted_key;

static int key_cmp(const void *pa, const void *pb)
{
	const sorted_key *a = pa, *b = pb;
	if (natural_less(a->runes, a->n, b->runes, b->n))
		return -1;
	return natural_less(b->runes, b->n, a->runes, a->n) ? 1 : 0;
}

/* The pairs of m in go-yaml's key order; caller frees. */
static const kv_pair **sorted_pairs(const kv_node *m)
{
	sorted_key *keys = kv_xcalloc(m->len ? m->len : 1, sizeof *keys);
	for (uint32_t i = 0; i < m->len; i++) {
		keys[i].pair = &m->u.pairs[i];
		keys[i].n = to_runes(m->u.pairs[i].key, &keys[i].runes);
	}
	kv_sort(keys, m->len, sizeof *keys, key_cmp);
	const kv_pair **out = kv_xcalloc(m->len ? m->len : 1, sizeof *out);
	for (uint32_t i = 0; i < m->len; i++) {
		out[i] = keys[i].pair;
		free(keys[i].runes);
	}
	free(keys);
	return out;
}

/* ---- numbers as they come out of kustomize's JSON round trip ---- */

/* Go's strconv.FormatFloat(d, 'g', -1, 64): the shortest digits that read back as d, in
 * exponent form when the exponent is below -4 or at least 6. */
static void go_float(double d, char *out, size_t n)
{
	if (isnan(d)) {
		snprintf(out, n, ".nan");
		return;
	}
	if (isinf(d)) {
		snprintf(out, n, d > 0 ? ".inf" : "-.inf");
		return;
	}
	char buf[40];
	int prec = 1;
	for (; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	/* buf is [-]D.DDDDe[+-]XX: split into digits and exponent */
	char digits[24];
	size_t nd = 0;
	const char *p = buf;
	bool neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	int exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	size_t o = 0;
	if (neg)
		o += (size_t)snprintf(out + o, n - o, "-");
	if (exp < -4 || exp >= 6) {
		o += (size_t)snprintf(out + o, n - o, "%c", digits[0]);
		if (nd > 1)
			o += (size_t)snprintf(out + o, n - o, ".%s", digits + 1);
		snprintf(out + o, n - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		o += (size_t)snprintf(out + o, n - o, "0.");
		for (int i = -1; i > exp; i--)
			o += (size_t)snprintf(out + o, n - o, "0");
		snprintf(out + o, n - o, "%s", digits);
	} else {
		for (int i = 0; i <= exp || (size_t)i < nd; i++) {
			if (i == exp + 1)
				o += (size_t)snprintf(out + o, n - o, ".");
			o += (size_t)snprintf(out + o, n - o, "%c", (size_t)i < nd ? digits[i] : '0');
		}
	}
}

/* A double after kustomize's JSON round trip: JSON writes whole numbers below 1e21 without
 * a fraction, and go-yaml reads those that fit 64 bits back as integers. */
static void number_text(double d, char *out, size_t n)
{
	if (d == floor(d) && fabs(d) < 9.2e18) {
		snprintf(out, n, "%lld", (long long)d);
		return;
	}
	go_float(d, out, n);
}

/* ---- YAML ---- */

typedef struct {
	yaml_emitter_t e;
	bool failed;
} emitter;

static int write_buf(void *data, unsigned char *buffer, size_t size)
{
	kv_buf_add(data, buffer, size);
	return 1;
}

static void emit(emitter *em, yaml_event_t *ev)
{
	if (!em->failed && !yaml_emitter_emit(&em->e, ev))
		em->failed = true;
}

static void scalar(emitter *em, const char *s, size_t n, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s, (int)n, 1, 1, style)) {
		em->failed = true;
		return;
	}
	emit(em, &ev);
}

static void string_scalar(emitter *em, const char *s, size_t n)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	if (memchr(s, '\n', n))
		style = YAML_LITERAL_SCALAR_STYLE;
	else if (resolves_to_non_string(s, n) || base60(s, n))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	scalar(em, s, n, style);
}

/* Depth is bounded by the loader's nesting limit. */
static void node(emitter *em, const kv_node *n)
{
	char num[64];
	yaml_event_t ev;
	switch ((kv_type)n->type) {
	case KV_NULL:
		scalar(em, "null", 4, YAML_PLAIN_SCALAR_STYLE);
		break;
	case KV_BOOL:
		scalar(em, n->u.b ? "true" : "false", n->u.b ? 4 : 5, YAML_PLAIN_SCALAR_STYLE);
		break;
	case KV_INT:
		snprintf(num, sizeof num, "%lld", (long long)n->u.i);
		scalar(em, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
		break;
	case KV_DOUBLE:
		number_text(n->u.d, num, sizeof num);
		scalar(em, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
		break;
	case KV_STRING:
		string_scalar(em, n->u.s, n->len);
		break;
	case KV_LIST:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		emit(em, &ev);
		for (uint32_t i = 0; i < n->len; i++)
			node(em, n->u.items[i]);
		yaml_sequence_end_event_initialize(&ev);
		emit(em, &ev);
		break;
	case KV_MAP: {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		emit(em, &ev);
		const kv_pair **pairs = sorted_pairs(n);
		for (uint32_t i = 0; i < n->len; i++) {
			string_scalar(em, pairs[i]->key->u.s, pairs[i]->key->len);
			node(em, pairs[i]->value);
		}
		free(pairs);
		yaml_mapping_end_event_initialize(&ev);
		emit(em, &ev);
		break;
	}
	case KV_TYPE_COUNT:
		break;
	}
}

static void emit_object(kv_buf *out, const kv_node *obj)
{
	emitter em = {.failed = false};
	yaml_emitter_initialize(&em.e);
	yaml_emitter_set_output(&em.e, write_buf, out);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, 80);
	yaml_emitter_set_indent(&em.e, 2);
	yaml_event_t ev;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&em, &ev);
	node(&em, obj);
	yaml_document_end_event_initialize(&ev, 1);
	emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&em, &ev);
	yaml_emitter_delete(&em.e);
	/* libyaml closes a document that ends in an open block scalar with "..."; go-yaml does
	 * not. */
	if (out->len >= 4 && memcmp(out->data + out->len - 4, "...\n", 4) == 0)
		kv_buf_truncate(out, out->len - 4);
}

void kv_render_emit_yaml(kv_buf *out, const kv_node *const *objects, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			kv_buf_puts(out, "---\n");
		emit_object(out, objects[i]);
	}
}

/* ---- JSON ---- */

static json_t *to_json(const kv_node *n)
{
	switch ((kv_type)n->type) {
	case KV_NULL:
		return json_null();
	case KV_BOOL:
		return json_boolean(n->u.b);
	case KV_INT:
		return json_integer(n->u.i);
	case KV_DOUBLE:
		return n->u.d == floor(n->u.d) && fabs(n->u.d) < 9.2e18 ? json_integer((json_int_t)n->u.d) : json_real(n->u.d);
	case KV_STRING:
		return json_stringn_nocheck(n->u.s, n->len);
	case KV_LIST: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < n->len; i++)
			json_array_append_new(a, to_json(n->u.items[i]));
		return a;
	}
	case KV_MAP: {
		json_t *o = json_object();
		const kv_pair **pairs = sorted_pairs(n);
		for (uint32_t i = 0; i < n->len; i++)
			json_object_setn_new_nocheck(o, pairs[i]->key->u.s, pairs[i]->key->len, to_json(pairs[i]->value));
		free(pairs);
		return o;
	}
	case KV_TYPE_COUNT:
		break;
	}
	return json_null();
}

void kv_render_emit_json(kv_buf *out, const kv_node *const *objects, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, to_json(objects[i]));
	char *text = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text) {
		kv_buf_puts(out, text);
		kv_buf_putc(out, '\n');
	}
	free(text);
	json_decref(a);
}
