/* envsubst.c: Flux's post-build variable substitution language (fluxcd/pkg/envsubst, a fork of
 * drone/envsubst), with the same scanner rules so the same text gives the same result or the
 * same error. Grammar:
 *
 *   text   := (chars | "$$" | "${" func)*         "$$" is a literal "$"; "$x" is left alone
 *   func   := "#" ident "}"                        length
 *           | ident "}"                            value ("" when undefined)
 *           | ident (":=" | ":-" | ":?" | ":+" | "=") param* "}"   value, else the params
 *           | ident ":" param [":" param] "}"      substring (byte offsets)
 *           | ident ("," | ",," | "^" | "^^") "}"  first/all to lower/upper case
 *           | ident ("#" | "##" | "%" | "%%") param "}"   trim a glob prefix/suffix
 *           | ident ("/" | "//" | "/#" | "/%") param "/" [param] "}"   replace
 *   param  := "${" func | chars
 *
 * Inside a function, "\/" and "\\" are escapes where the scanner honours them (replace
 * arguments). Nesting is capped. */
#include "units.h"

#include "kvet/alloc.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NEST 32
#define MATCH_BUDGET 4000000u

enum { M_IDENT = 1, M_LBRACK = 2, M_RBRACK = 4, M_ESCAPE = 8 };
enum { E_DOLLAR = 1, E_BACKSLASH = 2 };
typedef enum { T_ILLEGAL, T_EOF, T_IDENT, T_LBRACK, T_RBRACK } token;

typedef bool (*accept_fn)(uint32_t r, size_t i);

typedef struct {
	char *buf; /* a private copy: escapes remove bytes from it, as the original scanner does */
	size_t len, pos, start, width;
	unsigned mode, esc;
	accept_fn accept;
	int depth;
	un_lookup fn;
	void *ctx;
	const char *err;
	unsigned long budget;
} sc;

/* ---- the scanner ---- */

static uint32_t decode(const unsigned char *p, size_t n, size_t *w)
{
	unsigned char c = p[0];
	size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
	if (need == 1) {
		*w = 1;
		return c;
	}
	if (need == 0 || need > n) {
		*w = 1;
		return 0xFFFD;
	}
	uint32_t r = c & (0x7F >> need);
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*w = 1;
			return 0xFFFD;
		}
		r = (r << 6) | (p[i] & 0x3F);
	}
	*w = need;
	return r;
}

static uint32_t rd(sc *s)
{
	if (s->pos >= s->len) {
		s->width = 0;
		return 0;
	}
	uint32_t r = decode((const unsigned char *)s->buf + s->pos, s->len - s->pos, &s->width);
	s->pos += s->width;
	return r;
}

static void unrd(sc *s)
{
	s->pos -= s->width;
}

static uint32_t peek(sc *s)
{
	uint32_t r = rd(s);
	unrd(s);
	return r;
}

/* Removes the byte before the position (an escape character); the position stays, so the
 * character after the escape is taken as read, as the original scanner does. */
static void skip(sc *s)
{
	memmove(s->buf + s->pos - 1, s->buf + s->pos, s->len - s->pos);
	s->len--;
}

static bool scan_lbrack(sc *s, uint32_t r)
{
	if (!(s->mode & M_LBRACK) || r != '$')
		return false;
	if (rd(s) == '{')
		return true;
	unrd(s);
	return false;
}

static bool scan_escaped(sc *s, uint32_t r)
{
	if (!(s->mode & M_ESCAPE))
		return false;
	if (r == '$' && (s->esc & E_DOLLAR) && peek(s) == '$')
		return true;
	if (r == '\\' && (s->esc & E_BACKSLASH)) {
		uint32_t n = peek(s);
		return n == '/' || n == '\\';
	}
	return false;
}

static bool scan_ident(sc *s, uint32_t r)
{
	if (!(s->mode & M_IDENT))
		return false;
	if (scan_escaped(s, r))
		skip(s);
	else if (!s->accept(r, s->pos - s->start))
		return false;
	for (;;) {
		uint32_t c = rd(s);
		if (c == 0) {
			unrd(s);
			break;
		}
		if (scan_lbrack(s, c)) {
			unrd(s);
			s->pos--; /* back over the "$" too */
			break;
		}
		if (scan_escaped(s, c)) {
			skip(s);
			continue;
		}
		if (!s->accept(c, s->pos - s->start)) {
			unrd(s);
			break;
		}
	}
	return true;
}

static token scan(sc *s)
{
	s->start = s->pos;
	uint32_t r = rd(s);
	if (r == 0)
		return T_EOF;
	if (scan_lbrack(s, r))
		return T_LBRACK;
	if ((s->mode & M_RBRACK) && r == '}')
		return T_RBRACK;
	if (scan_ident(s, r))
		return T_IDENT;
	return T_ILLEGAL;
}

static bool acc_rune(uint32_t r, size_t i) { (void)r; (void)i; return true; }
static bool acc_ident(uint32_t r, size_t i)
{
	(void)i;
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' ||
	       (r >= 0x80 && r != 0xFFFD);
}
static bool acc_colon(uint32_t r, size_t i) { (void)i; return r == ':'; }
static bool acc_one_hash(uint32_t r, size_t i) { return r == '#' && i == 1; }
static bool acc_not_closing(uint32_t r, size_t i) { (void)i; return r != '}'; }
static bool acc_hash(uint32_t r, size_t i) { return r == '#' && i < 3; }
static bool acc_percent(uint32_t r, size_t i) { return r == '%' && i < 3; }
static bool acc_default(uint32_t r, size_t i)
{
	return (i == 1 && r == ':') || (i == 2 && (r == '=' || r == '-' || r == '?' || r == '+'));
}
static bool acc_replace(uint32_t r, size_t i)
{
	return (i == 1 && r == '/') || (i == 2 && (r == '/' || r == '#' || r == '%'));
}
static bool acc_one_equal(uint32_t r, size_t i) { return i == 1 && r == '='; }
static bool acc_one_colon(uint32_t r, size_t i) { return i == 1 && r == ':'; }
static bool rej_colon_close(uint32_t r, size_t i) { (void)i; return r != ':' && r != '}'; }
static bool acc_slash(uint32_t r, size_t i) { (void)i; return r == '/'; }
static bool acc_not_slash(uint32_t r, size_t i) { (void)i; return r != '/'; }
static bool acc_casing(uint32_t r, size_t i) { return (r == ',' || r == '^') && i < 3; }

/* ---- the functions ---- */

/* Go's path.Match: '*' and '?' never match '/'; [...] classes with '^' and ranges; '\' escapes.
 * 1 match, 0 none, -1 a malformed pattern or the work budget spent. */
static int class_match(const char **pp, const char *pe, unsigned char c)
{
	const char *p = *pp + 1;
	bool neg = p < pe && *p == '^', hit = false;
	if (neg)
		p++;
	size_t ranges = 0;
	while (p < pe && (*p != ']' || ranges == 0)) {
		if (*p == '-' || (*p == ']' && ranges == 0))
			return -1;
		unsigned char lo = (unsigned char)*p++;
		if (lo == '\\' && p < pe)
			lo = (unsigned char)*p++;
		unsigned char hi = lo;
		if (p + 1 < pe && *p == '-' && p[1] != ']') {
			p++;
			hi = (unsigned char)*p++;
			if (hi == '\\' && p < pe)
				hi = (unsigned char)*p++;
		}
		ranges++;
		if (lo <= c && c <= hi)
			hit = true;
	}
	if (p >= pe)
		return -1;
	*pp = p + 1;
	return hit != neg;
}

static int glob(sc *s, const char *p, const char *pe, const char *t, const char *te)
{
	const char *star = NULL, *mark = NULL;
	while (t < te || p < pe) {
		if (s->budget == 0) {
			s->err = "the substitution's pattern costs too much to match";
			return -1;
		}
		s->budget--;
		if (p < pe && *p == '*') {
			star = ++p;
			mark = t;
			continue;
		}
		if (t < te && p < pe) {
			const char *np = p + 1;
			int ok;
			if (*p == '?')
				ok = *t != '/';
			else if (*p == '[') {
				np = p;
				ok = class_match(&np, pe, (unsigned char)*t);
				if (ok < 0)
					return -1;
			} else if (*p == '\\' && p + 1 < pe) {
				ok = p[1] == *t;
				np = p + 2;
			} else {
				ok = *p == *t;
			}
			if (ok) {
				p = np;
				t++;
				continue;
			}
		}
		if (star && mark < te && *mark != '/') {
			p = star;
			t = ++mark;
			continue;
		}
		return 0;
	}
	return 1;
}

/* The shortest (or longest) prefix of v that pat matches, or -1 when none. */
static long prefix_match(sc *s, const char *v, size_t n, const char *pat, size_t pn, bool longest)
{
	long found = -1;
	for (size_t i = 0; i < n; i++) {
		int m = glob(s, pat, pat + pn, v, v + n - i);
		if (m < 0)
			return -1;
		if (m) {
			found = (long)(n - i);
			if (longest)
				return found;
		}
	}
	return found;
}

static void reverse_runes(const char *in, size_t n, kv_buf *out)
{
	kv_buf_truncate(out, 0);
	size_t i = n;
	while (i > 0) {
		size_t start = i - 1;
		while (start > 0 && ((unsigned char)in[start] & 0xC0) == 0x80 && i - start < 4)
			start--;
		kv_buf_add(out, in + start, i - start);
		i = start;
	}
}

static void trim(sc *s, const char *name, const char *v, size_t n, const kv_buf *arg, kv_buf *out)
{
	bool suffix = name[0] == '%', longest = name[1] != '\0';
	if (!suffix) {
		long m = prefix_match(s, v, n, arg->data ? arg->data : "", arg->len, longest);
		kv_buf_add(out, v + (m > 0 ? m : 0), n - (size_t)(m > 0 ? m : 0));
		return;
	}
	kv_buf rv = KV_BUF_INIT, rp = KV_BUF_INIT, res = KV_BUF_INIT;
	reverse_runes(v, n, &rv);
	reverse_runes(arg->data ? arg->data : "", arg->len, &rp);
	long m = prefix_match(s, rv.data ? rv.data : "", rv.len, rp.data ? rp.data : "", rp.len, longest);
	size_t cut = m > 0 ? (size_t)m : 0;
	reverse_runes(rv.data + cut, rv.len - cut, &res);
	kv_buf_add(out, res.data ? res.data : "", res.len);
	kv_buf_free(&rv);
	kv_buf_free(&rp);
	kv_buf_free(&res);
}

static const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
	if (nn == 0)
		return h;
	for (size_t i = 0; i + nn <= hn; i++)
		if (memcmp(h + i, nd, nn) == 0)
			return h + i;
	return NULL;
}

static void replace(const char *name, const char *v, size_t n, kv_buf *args, size_t nargs, kv_buf *out)
{
	const char *from = nargs ? (args[0].data ? args[0].data : "") : "";
	size_t fn = nargs ? args[0].len : 0;
	const char *to = nargs > 1 && args[1].data ? args[1].data : "";
	size_t tn = nargs > 1 ? args[1].len : 0;
	if (nargs == 0 || ((strcmp(name, "/#") == 0 || strcmp(name, "/%") == 0) && nargs != 2)) {
		kv_buf_add(out, v, n);
		return;
	}
	if (strcmp(name, "/#") == 0 || strcmp(name, "/%") == 0) {
		bool pre = name[1] == '#';
		if (fn <= n && memcmp(pre ? v : v + n - fn, from, fn) == 0) {
			if (pre) {
				kv_buf_add(out, to, tn);
				kv_buf_add(out, v + fn, n - fn);
			} else {
				kv_buf_add(out, v, n - fn);
				kv_buf_add(out, to, tn);
			}
		} else {
			kv_buf_add(out, v, n);
		}
		return;
	}
	bool all = strcmp(name, "//") == 0;
	size_t i = 0;
	bool done = false;
	/* Go's strings.Replace with an empty old string inserts at every rune boundary. */
	while (i <= n) {
		const char *hit = done ? NULL : find(v + i, n - i, from, fn);
		if (!hit) {
			kv_buf_add(out, v + i, n - i);
			break;
		}
		kv_buf_add(out, v + i, (size_t)(hit - (v + i)));
		kv_buf_add(out, to, tn);
		i = (size_t)(hit - v) + fn;
		if (fn == 0) {
			if (i >= n)
				break;
			size_t w;
			decode((const unsigned char *)v + i, n - i, &w);
			kv_buf_add(out, v + i, w);
			i += w;
			if (i >= n) {
				if (all)
					kv_buf_add(out, to, tn);
				break;
			}
		}
		done = !all;
	}
}

static bool parse_int(const kv_buf *b, long *out)
{
	const char *p = b->data ? b->data : "";
	size_t i = 0, n = b->len;
	bool neg = false;
	if (i < n && (p[i] == '+' || p[i] == '-'))
		neg = p[i++] == '-';
	if (i == n)
		return false;
	long v = 0;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || v > 100000000L)
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

static void substr(const char *v, size_t n, kv_buf *args, size_t nargs, kv_buf *out)
{
	long pos, len;
	if (nargs == 0 || !parse_int(&args[0], &pos)) {
		kv_buf_add(out, v, n);
		return;
	}
	long ln = (long)n;
	if (pos < 0)
		pos = ln + pos < 0 ? 0 : ln + pos;
	if (nargs == 1) {
		if (pos < ln)
			kv_buf_add(out, v + pos, (size_t)(ln - pos));
		return;
	}
	if (!parse_int(&args[1], &len)) {
		kv_buf_add(out, v, n);
		return;
	}
	if (pos + len >= ln) {
		if (pos < ln)
			kv_buf_add(out, v + pos, (size_t)(ln - pos));
		return;
	}
	if (len < 0) /* Go would panic on a slice with a negative length: kvet leaves the value */
		kv_buf_add(out, v, n);
	else
		kv_buf_add(out, v + pos, (size_t)len);
}

static void casing(const char *name, const char *v, size_t n, kv_buf *out)
{
	bool upper = name[0] == '^', all = name[1] != '\0';
	if ((strcmp(name, ",") != 0 && strcmp(name, ",,") != 0 && strcmp(name, "^") != 0 && strcmp(name, "^^") != 0)) {
		kv_buf_add(out, v, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (i == 0 || all) {
			if (upper && c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			else if (!upper && c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
		}
		kv_buf_putc(out, c);
	}
}

/* Applies function name to the value of param. */
static void apply(sc *s, const char *name, const char *param, kv_buf *args, size_t nargs, kv_buf *out)
{
	const char *v = s->fn(s->ctx, param, strlen(param));
	if (!v)
		v = "";
	size_t n = strlen(v);
	if (strcmp(name, "#") == 0 && nargs == 0)
		kv_buf_printf(out, "%zu", n);
	else if (strcmp(name, "#") == 0 || strcmp(name, "##") == 0 || strcmp(name, "%") == 0 || strcmp(name, "%%") == 0)
		trim(s, name, v, n, &args[0], out);
	else if (strcmp(name, ":") == 0)
		substr(v, n, args, nargs, out);
	else if (name[0] == '/')
		replace(name, v, n, args, nargs, out);
	else if (name[0] == ',' || name[0] == '^')
		casing(name, v, n, out);
	else if (n == 0) /* every default form, and a plain reference */
		for (size_t i = 0; i < nargs; i++)
			kv_buf_add(out, args[i].data ? args[i].data : "", args[i].len);
	else
		kv_buf_add(out, v, n);
}

/* ---- the parser, evaluating as it goes ---- */

static int parse_func(sc *s, kv_buf *out);

static int fail(sc *s, const char *msg)
{
	if (!s->err)
		s->err = msg;
	return -1;
}

/* The text of the token just scanned. */
static void token_text(sc *s, kv_buf *out)
{
	kv_buf_add(out, s->buf + s->start, s->pos - s->start);
}

static int parse_param(sc *s, accept_fn acc, unsigned mode, kv_buf *out)
{
	s->accept = acc;
	s->mode = mode | M_LBRACK;
	switch (scan(s)) {
	case T_LBRACK:
		return parse_func(s, out);
	case T_IDENT:
	case T_RBRACK:
		token_text(s, out);
		return 0;
	default:
		return fail(s, "unable to parse substitution within function");
	}
}

static int consume_rbrack(sc *s)
{
	s->mode = M_RBRACK;
	return scan(s) == T_RBRACK ? 0 : fail(s, "bad substitution");
}

typedef struct {
	kv_buf a[2];
	size_t n;
} argv2;

static kv_buf *next_arg(argv2 *a)
{
	return &a->a[a->n < 2 ? a->n++ : 1];
}

static void args_free(argv2 *a)
{
	kv_buf_free(&a->a[0]);
	kv_buf_free(&a->a[1]);
}

/* The function's name (":-", "//"...) scanned with acc, into name. */
static bool scan_name(sc *s, accept_fn acc, char *name, size_t cap)
{
	s->accept = acc;
	s->mode = M_IDENT;
	if (scan(s) != T_IDENT || s->pos - s->start >= cap)
		return false;
	memcpy(name, s->buf + s->start, s->pos - s->start);
	name[s->pos - s->start] = '\0';
	return true;
}

static int parse_body(sc *s, const char *param, kv_buf *out)
{
	char name[8] = "";
	argv2 a = {0};
	int rc = 0;
	uint32_t c = peek(s);
	if (c == ':') {
		rd(s);
		uint32_t c2 = peek(s);
		unrd(s);
		if (c2 == '=' || c2 == '-' || c2 == '?' || c2 == '+')
			c = '=';
		else
			c = 'S';
	}
	switch (c) {
	case '=':
		if (!scan_name(s, peek(s) == '=' ? acc_one_equal : acc_default, name, sizeof name)) {
			rc = fail(s, "unable to parse default function");
			break;
		}
		while (rc == 0 && peek(s) != '}') {
			a.n = 1; /* every parameter joined, as toDefault does */
			rc = parse_param(s, acc_not_closing, M_IDENT, &a.a[0]);
		}
		if (rc == 0)
			rc = consume_rbrack(s);
		break;
	case 'S':
		if (!scan_name(s, acc_one_colon, name, sizeof name)) {
			rc = fail(s, "bad substitution");
			break;
		}
		rc = parse_param(s, rej_colon_close, M_IDENT, next_arg(&a));
		if (rc)
			break;
		s->accept = acc_colon;
		s->mode = M_IDENT | M_RBRACK;
		token t = scan(s);
		if (t == T_RBRACK)
			break;
		if (t != T_IDENT) {
			rc = fail(s, "bad substitution");
			break;
		}
		rc = parse_param(s, acc_not_closing, M_IDENT, next_arg(&a));
		if (rc == 0)
			rc = consume_rbrack(s);
		break;
	case ',':
	case '^':
		rc = scan_name(s, acc_casing, name, sizeof name) ? consume_rbrack(s) : fail(s, "bad substitution");
		break;
	case '/':
		if (!scan_name(s, acc_replace, name, sizeof name)) {
			rc = fail(s, "bad substitution");
			break;
		}
		rc = parse_param(s, acc_not_slash, M_IDENT | M_ESCAPE, next_arg(&a));
		if (rc)
			break;
		s->accept = acc_slash;
		s->mode = M_IDENT;
		if (scan(s) != T_IDENT) {
			rc = fail(s, "bad substitution");
			break;
		}
		if (peek(s) != '}')
			rc = parse_param(s, acc_not_closing, M_IDENT | M_ESCAPE, next_arg(&a));
		if (rc == 0)
			rc = consume_rbrack(s);
		break;
	case '#':
	case '%':
		if (!scan_name(s, c == '#' ? acc_hash : acc_percent, name, sizeof name)) {
			rc = fail(s, "bad substitution");
			break;
		}
		rc = parse_param(s, acc_not_closing, M_IDENT, next_arg(&a));
		if (rc == 0)
			rc = consume_rbrack(s);
		break;
	default:
		s->accept = acc_ident;
		s->mode = M_RBRACK;
		if (scan(s) != T_RBRACK)
			rc = fail(s, "missing closing brace");
		break;
	}
	if (rc == 0) {
		apply(s, name, param, a.a, a.n, out);
		if (s->err)
			rc = -1;
	}
	args_free(&a);
	return rc;
}

/* After "${". */
static int parse_func(sc *s, kv_buf *out)
{
	if (++s->depth > MAX_NEST)
		return fail(s, "substitutions nest too deeply");
	s->esc = E_DOLLAR | E_BACKSLASH;
	int rc;
	if (peek(s) == '#') {
		char name[8];
		if (!scan_name(s, acc_one_hash, name, sizeof name)) {
			rc = fail(s, "bad substitution");
		} else {
			s->accept = acc_ident;
			s->mode = M_IDENT;
			if (scan(s) != T_IDENT) {
				rc = fail(s, "bad substitution");
			} else {
				char *param = kv_xstrndup(s->buf + s->start, s->pos - s->start);
				rc = consume_rbrack(s);
				if (rc == 0)
					apply(s, "#", param, NULL, 0, out);
				free(param);
			}
		}
	} else {
		s->accept = acc_ident;
		s->mode = M_IDENT;
		if (scan(s) != T_IDENT) {
			rc = fail(s, "unable to parse variable name");
		} else {
			char *param = kv_xstrndup(s->buf + s->start, s->pos - s->start);
			rc = parse_body(s, param, out);
			free(param);
		}
	}
	s->depth--;
	return rc;
}

int un_envsubst(const char *in, size_t len, un_lookup fn, void *ctx, kv_buf *out, kv_buf *err)
{
	sc s = {0};
	s.buf = kv_xmalloc(len + 1);
	memcpy(s.buf, in, len);
	s.len = len;
	s.fn = fn;
	s.ctx = ctx;
	s.budget = MATCH_BUDGET;
	int rc = 0;
	for (;;) {
		s.accept = acc_rune;
		s.mode = M_IDENT | M_LBRACK | M_ESCAPE;
		s.esc = E_DOLLAR;
		token t = scan(&s);
		if (t == T_EOF)
			break;
		if (t == T_IDENT) {
			token_text(&s, out);
		} else if (t == T_LBRACK) {
			if ((rc = parse_func(&s, out)) != 0)
				break;
		} else {
			rc = fail(&s, "bad substitution");
			break;
		}
	}
	if (rc != 0)
		kv_buf_puts(err, s.err ? s.err : "bad substitution");
	free(s.buf);
	return rc;
}

bool un_var_name_ok(const char *name, size_t len)
{
	if (len == 0 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}
