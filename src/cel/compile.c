/* compile.c: environments and programs. Compiling parses the expression and resolves every
 * name once: identifiers to variable slots, comprehension locals or type values; calls to the
 * group of library entries of their name and style; namespaced calls (optional.of) to global
 * functions. Strict environments reject what they cannot resolve, with a suggestion. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/map.h"
#include "kvet/strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *key; /* "g:name" or "m:name" */
	const kv_cel_fn **fns;
	size_t n, cap;
} fn_group;

struct kv_cel_env {
	unsigned libs;
	bool lenient;
	kv_cel_limits limits;
	char *container;
	char **vars;
	size_t nvars, capvars;
	kv_map *var_index;  /* name -> slot + 1 */
	kv_map *group_index; /* key -> group + 1 */
	fn_group *groups;
	size_t ngroups, capgroups;
};

typedef struct {
	void (*fn)(void *);
	void *p;
} cleanup;

struct kv_cel_prog {
	const kv_cel_env *env;
	kv_arena *arena;
	char *src;
	kv_cel_ast ast;
	uint32_t nlocals;
	cleanup *cleanups;
	size_t ncleanups, capcleanups;
	uint8_t *uses; /* per variable slot declared when compiled */
	size_t nuses;
};

static const struct {
	const char *name;
	kv_cel_vtype type;
} type_names[] = {
	{"null_type", KV_CEL_T_NULL}, {"bool", KV_CEL_T_BOOL}, {"int", KV_CEL_T_INT},
	{"uint", KV_CEL_T_UINT}, {"double", KV_CEL_T_DOUBLE}, {"string", KV_CEL_T_STRING},
	{"bytes", KV_CEL_T_BYTES}, {"list", KV_CEL_T_LIST}, {"map", KV_CEL_T_MAP},
	{"type", KV_CEL_T_TYPE}, {"optional_type", KV_CEL_T_OPTIONAL},
	{"google.protobuf.Duration", KV_CEL_T_DURATION},
	{"google.protobuf.Timestamp", KV_CEL_T_TIMESTAMP},
	{"net.IP", KV_CEL_T_IP},
	{"net.CIDR", KV_CEL_T_CIDR},
};

static void add_fn(kv_cel_env *env, char style, const kv_cel_fn *fn)
{
	char key[128];
	snprintf(key, sizeof key, "%c:%s", style, fn->name);
	bool added;
	uint64_t *slot = kv_map_slot(env->group_index, key, strlen(key), &added);
	if (added) {
		KV_GROW(env->groups, env->capgroups, env->ngroups + 1);
		env->groups[env->ngroups] = (fn_group){.key = kv_xstrdup(key)};
		*slot = ++env->ngroups;
	}
	fn_group *g = &env->groups[*slot - 1];
	KV_GROW(g->fns, g->cap, g->n + 1);
	g->fns[g->n++] = fn;
}

static void add_lib(kv_cel_env *env, const kv_cel_fn *lib)
{
	for (; lib->name; lib++) {
		if (lib->style & KV_CEL_FN_GLOBAL)
			add_fn(env, 'g', lib);
		if (lib->style & KV_CEL_FN_METHOD)
			add_fn(env, 'm', lib);
	}
}

kv_cel_env *kv_cel_env_new(unsigned libs)
{
	kv_cel_env *env = kv_xcalloc(1, sizeof *env);
	env->libs = libs;
	env->limits = (kv_cel_limits){KV_CEL_DEPTH_DEFAULT, KV_CEL_SIZE_DEFAULT};
	env->var_index = kv_map_new();
	env->group_index = kv_map_new();
	add_lib(env, kv_cel_lib_core);
	add_lib(env, kv_cel_lib_time);
	if (libs & KV_CEL_LIB_STRINGS)
		add_lib(env, kv_cel_lib_strings);
	if (libs & KV_CEL_LIB_MATH)
		add_lib(env, kv_cel_lib_math);
	if (libs & KV_CEL_LIB_ENCODERS)
		add_lib(env, kv_cel_lib_encoders);
	if (libs & KV_CEL_LIB_KUBERNETES) {
		add_lib(env, kv_cel_lib_k8s);
		add_lib(env, kv_cel_lib_authz);
	}
	return env;
}

void kv_cel_env_free(kv_cel_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->nvars; i++)
		free(env->vars[i]);
	free(env->vars);
	for (size_t i = 0; i < env->ngroups; i++) {
		free(env->groups[i].key);
		free(env->groups[i].fns);
	}
	free(env->groups);
	kv_map_free(env->var_index);
	kv_map_free(env->group_index);
	free(env->container);
	free(env);
}

size_t kv_cel_env_var(kv_cel_env *env, const char *name)
{
	bool added;
	uint64_t *slot = kv_map_slot(env->var_index, name, strlen(name), &added);
	if (!added)
		return (size_t)(*slot - 1);
	KV_GROW(env->vars, env->capvars, env->nvars + 1);
	env->vars[env->nvars] = kv_xstrdup(name);
	*slot = ++env->nvars;
	return env->nvars - 1;
}

void kv_cel_env_container(kv_cel_env *env, const char *container)
{
	free(env->container);
	env->container = container && *container ? kv_xstrdup(container) : NULL;
}

void kv_cel_env_lenient(kv_cel_env *env, bool lenient)
{
	env->lenient = lenient;
}

void kv_cel_env_limits(kv_cel_env *env, const kv_cel_limits *limits)
{
	env->limits = *limits;
}

/* The compiler's state: the scope of comprehension variables, innermost last. */
typedef struct {
	const kv_cel_env *env;
	kv_cel_prog *prog;
	kv_cel_error *err;
	const char **scope;
	size_t depth, cap;
	bool failed;
} compiler;

static void fail(compiler *c, uint32_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(compiler *c, uint32_t pos, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
	va_end(ap);
	c->err->pos = pos;
	kv_cel_position(c->prog->src, c->prog->ast.len, pos, &c->err->line, &c->err->col);
}

static const kv_cel_fn *const *group_of(const kv_cel_env *env, char style, const char *name,
					size_t *n, uint32_t *index)
{
	char key[160];
	if (snprintf(key, sizeof key, "%c:%s", style, name) >= (int)sizeof key)
		return NULL;
	uint64_t *slot = kv_map_find(env->group_index, key, strlen(key));
	if (!slot)
		return NULL;
	*index = (uint32_t)(*slot - 1);
	*n = env->groups[*index].n;
	return env->groups[*index].fns;
}

static bool var_slot(const kv_cel_env *env, const char *name, size_t len, uint32_t *slot)
{
	uint64_t *s = kv_map_find(env->var_index, name, len);
	if (s)
		*slot = (uint32_t)(*s - 1);
	return s != NULL;
}

static bool type_named(const char *name, size_t len, uint32_t *type)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
		if (strlen(type_names[i].name) == len && memcmp(type_names[i].name, name, len) == 0) {
			*type = type_names[i].type;
			return true;
		}
	}
	return false;
}

/* Resolves a qualified name against the container: for container a.b, x is tried as a.b.x,
 * then a.x, then x. A leading dot (root) skips the container. */
static bool lookup_name(compiler *c, const char *name, size_t len, bool root, kv_cel_node *n)
{
	const char *cont = c->env->container;
	size_t clen = cont && !root ? strlen(cont) : 0;
	kv_buf full = KV_BUF_INIT;
	bool found = false;
	for (;;) {
		kv_buf_truncate(&full, 0);
		if (clen) {
			kv_buf_add(&full, cont, clen);
			kv_buf_putc(&full, '.');
		}
		kv_buf_add(&full, name, len);
		uint32_t ref;
		if (var_slot(c->env, full.data, full.len, &ref)) {
			n->flags |= KV_CEL_F_VAR;
			n->ref = ref;
			if (ref < c->prog->nuses)
				c->prog->uses[ref] = 1;
			found = true;
			break;
		}
		if (type_named(full.data, full.len, &ref)) {
			n->flags |= KV_CEL_F_TYPE;
			n->ref = ref;
			found = true;
			break;
		}
		if (!clen)
			break;
		while (clen > 0 && cont[clen - 1] != '.')
			clen--;
		if (clen)
			clen--; /* drop the dot too */
	}
	kv_buf_free(&full);
	return found;
}

static bool local_slot(compiler *c, const char *name, size_t len, uint32_t *slot)
{
	for (size_t i = c->depth; i-- > 0;) {
		if (strlen(c->scope[i]) == len && memcmp(c->scope[i], name, len) == 0) {
			*slot = (uint32_t)i;
			return true;
		}
	}
	return false;
}

static void push_local(compiler *c, const char *name)
{
	KV_GROW(c->scope, c->cap, c->depth + 1);
	c->scope[c->depth++] = name;
	if (c->depth > c->prog->nlocals)
		c->prog->nlocals = (uint32_t)c->depth;
}

/* The closest declared name, for "did you mean". */
static const char *suggest_var(compiler *c, const char *name, size_t len)
{
	const char *best = NULL;
	unsigned best_d = 3;
	for (size_t i = 0; i < c->env->nvars; i++) {
		unsigned d = kv_edit_distance(name, len, c->env->vars[i], strlen(c->env->vars[i]), 2);
		if (d < best_d) {
			best_d = d;
			best = c->env->vars[i];
		}
	}
	for (size_t i = 0; i < c->depth; i++) {
		unsigned d = kv_edit_distance(name, len, c->scope[i], strlen(c->scope[i]), 2);
		if (d < best_d) {
			best_d = d;
			best = c->scope[i];
		}
	}
	return best;
}

static void unresolved_name(compiler *c, kv_cel_node *n, const char *name, size_t len)
{
	if (c->env->lenient) {
		n->flags |= KV_CEL_F_UNRESOLVED;
		return;
	}
	const char *s = suggest_var(c, name, len);
	if (s)
		fail(c, n->pos, "undeclared reference to '%.*s'; did you mean '%s'?", (int)len, name, s);
	else
		fail(c, n->pos, "undeclared reference to '%.*s'", (int)len, name);
}

static void resolve(compiler *c, kv_cel_node *n);

static void resolve_ident(compiler *c, kv_cel_node *n)
{
	uint32_t slot;
	if (!(n->flags & KV_CEL_F_ROOT) && local_slot(c, n->str, n->len, &slot)) {
		n->flags |= KV_CEL_F_LOCAL;
		n->ref = slot;
		return;
	}
	if (!lookup_name(c, n->str, n->len, n->flags & KV_CEL_F_ROOT, n))
		unresolved_name(c, n, n->str, n->len);
}

/* The dotted name of a chain of selections over an identifier, or false. The chain's nodes
 * are stored root first in nodes[] (at most max). */
static bool chain_of(kv_cel_node *n, kv_buf *name, kv_cel_node **nodes, size_t *count, size_t max)
{
	size_t k = 0;
	kv_cel_node *m = n;
	while (m->kind == KV_CEL_SELECT && !(m->flags & KV_CEL_F_OPTIONAL))
		m = m->kids[0];
	if (m->kind != KV_CEL_IDENT)
		return false;
	for (kv_cel_node *x = n; x != m; x = x->kids[0])
		k++;
	if (k + 1 > max)
		return false;
	*count = k + 1;
	size_t i = k;
	for (kv_cel_node *x = n; x != m; x = x->kids[0])
		nodes[i--] = x;
	nodes[0] = m;
	kv_buf_truncate(name, 0);
	for (size_t j = 0; j < *count; j++) {
		if (j)
			kv_buf_putc(name, '.');
		kv_buf_add(name, nodes[j]->str, nodes[j]->len);
	}
	return true;
}

/* a.b.c: a local a is a map to select from; otherwise the longest declared prefix wins, so
 * a variable named "a.b" is found before a variable "a" with a field b. */
static void resolve_select(compiler *c, kv_cel_node *n)
{
	kv_buf name = KV_BUF_INIT;
	kv_cel_node *nodes[64];
	size_t count;
	uint32_t slot;
	if (!chain_of(n, &name, nodes, &count, 64) ||
	    (!(nodes[0]->flags & KV_CEL_F_ROOT) && local_slot(c, nodes[0]->str, nodes[0]->len, &slot))) {
		kv_buf_free(&name);
		resolve(c, n->kids[0]);
		return;
	}
	size_t len = name.len;
	bool root = nodes[0]->flags & KV_CEL_F_ROOT;
	for (size_t k = count; k-- > 0;) {
		if (lookup_name(c, name.data, len, root, nodes[k])) {
			kv_buf_free(&name);
			return;
		}
		while (len > 0 && name.data[len - 1] != '.')
			len--;
		if (len)
			len--;
	}
	unresolved_name(c, nodes[0], nodes[0]->str, nodes[0]->len);
	kv_buf_free(&name);
}

static void add_cleanup(kv_cel_prog *p, void (*fn)(void *), void *ptr)
{
	KV_GROW(p->cleanups, p->capcleanups, p->ncleanups + 1);
	p->cleanups[p->ncleanups++] = (cleanup){fn, ptr};
}

static const char *suggest_fn(compiler *c, const char *name, char style)
{
	const char *best = NULL;
	unsigned best_d = 3;
	for (size_t i = 0; i < c->env->ngroups; i++) {
		const char *key = c->env->groups[i].key;
		if (key[0] != style)
			continue;
		unsigned d = kv_edit_distance(name, strlen(name), key + 2, strlen(key + 2), 2);
		if (d < best_d) {
			best_d = d;
			best = key + 2;
		}
	}
	return best;
}

/* Binds a call to its group, checks that some entry takes this many arguments, and runs
 * the entries' prepare hooks on the argument nodes. */
/* Where a call's name starts: a method's position is its '.'. */
static uint32_t name_pos(compiler *c, const kv_cel_node *n)
{
	uint32_t pos = n->pos;
	const char *src = c->prog->src;
	if (n->kind == KV_CEL_MCALL && src[pos] == '.') {
		pos++;
		while (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '\n' || src[pos] == '\r')
			pos++;
	}
	return pos;
}

static void bind_call(compiler *c, kv_cel_node *n, const char *name, char style)
{
	size_t count;
	uint32_t index;
	const kv_cel_fn *const *fns = group_of(c->env, style, name, &count, &index);
	if (!fns) {
		if (c->env->lenient) {
			n->flags |= KV_CEL_F_UNRESOLVED;
			return;
		}
		const char *s = suggest_fn(c, name, style);
		const char *what = style == 'm' ? "method" : "function";
		uint32_t at = name_pos(c, n);
		if (s)
			fail(c, at, "unknown %s '%s'; did you mean '%s'?", what, name, s);
		else if (group_of(c->env, style == 'm' ? 'g' : 'm', name, &count, &index))
			fail(c, at, "'%s' is called as %s", name,
			     style == 'm' ? "a function: name(x)" : "a method: x.name()");
		else
			fail(c, at, "unknown %s '%s'", what, name);
		return;
	}
	n->ref = index;
	bool arity = false;
	for (size_t i = 0; i < count; i++)
		arity = arity || (n->nkids >= fns[i]->min && n->nkids <= fns[i]->max);
	if (!arity && !c->env->lenient) {
		unsigned shown = style == 'm' ? n->nkids - 1 : n->nkids;
		fail(c, name_pos(c, n), "'%s' does not take %u argument%s", name, shown, shown == 1 ? "" : "s");
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (!fns[i]->prepare || n->aux)
			continue;
		char msg[160];
		uint32_t pos = n->pos;
		const void *aux = NULL;
		if (fns[i]->prepare((const kv_cel_node *const *)n->kids, n->nkids, &aux, msg, sizeof msg, &pos) != 0) {
			fail(c, pos, "%s", msg);
			return;
		}
		if (aux) {
			n->aux = aux;
			if (fns[i]->free_aux)
				add_cleanup(c->prog, fns[i]->free_aux, (void *)aux);
		}
	}
}

/* x.f(args): a namespaced global function (optional.of, math.greatest) when x is a dotted
 * name that is not a variable, else a method. */
static void resolve_mcall(compiler *c, kv_cel_node *n)
{
	kv_buf name = KV_BUF_INIT;
	kv_cel_node *nodes[64];
	size_t count, fcount;
	uint32_t slot, index;
	kv_cel_node *target = n->kids[0];
	if (chain_of(target, &name, nodes, &count, 64) && !(nodes[0]->flags & KV_CEL_F_ROOT) &&
	    !local_slot(c, nodes[0]->str, nodes[0]->len, &slot) &&
	    !var_slot(c->env, nodes[0]->str, nodes[0]->len, &slot)) {
		kv_buf_putc(&name, '.');
		kv_buf_add(&name, n->str, n->len);
		if (group_of(c->env, 'g', kv_buf_cstr(&name), &fcount, &index)) {
			n->kind = KV_CEL_CALL;
			n->kids++;
			n->nkids--;
			for (uint32_t i = 0; i < n->nkids; i++)
				resolve(c, n->kids[i]);
			bind_call(c, n, kv_buf_cstr(&name), 'g');
			kv_buf_free(&name);
			return;
		}
	}
	kv_buf_free(&name);
	for (uint32_t i = 0; i < n->nkids; i++)
		resolve(c, n->kids[i]);
	char *fn = kv_xstrndup(n->str, n->len);
	bind_call(c, n, fn, 'm');
	free(fn);
}

static void resolve_comp(compiler *c, kv_cel_node *n)
{
	size_t depth = c->depth;
	if (n->op == KV_CEL_MACRO_BLOCK) {
		/* Entry i sees the entries before it; the body sees all of them. */
		n->ref = (uint32_t)c->depth;
		for (uint32_t i = 0; i < n->nkids; i++) {
			resolve(c, n->kids[i]);
			if (i + 1 < n->nkids) {
				char tmp[32];
				snprintf(tmp, sizeof tmp, "@index%u", i);
				push_local(c, kv_arena_strndup(c->prog->arena, tmp, strlen(tmp)));
			}
		}
		c->depth = depth;
		return;
	}
	resolve(c, n->kids[0]);
	n->ref = (uint32_t)c->depth;
	push_local(c, n->var);
	if (n->var2)
		push_local(c, n->var2);
	for (uint32_t i = 1; i < n->nkids; i++)
		resolve(c, n->kids[i]);
	c->depth = depth;
}

/* Recursion follows the tree, whose height the parser caps. */
static void resolve(compiler *c, kv_cel_node *n)
{
	if (c->failed)
		return;
	switch ((kv_cel_kind)n->kind) {
	case KV_CEL_IDENT: resolve_ident(c, n); return;
	case KV_CEL_SELECT: resolve_select(c, n); return;
	case KV_CEL_MCALL: resolve_mcall(c, n); return;
	case KV_CEL_COMP: resolve_comp(c, n); return;
	case KV_CEL_CALL: {
		for (uint32_t i = 0; i < n->nkids; i++)
			resolve(c, n->kids[i]);
		char *fn = kv_xstrndup(n->str, n->len);
		bind_call(c, n, fn, 'g');
		free(fn);
		return;
	}
	default:
		for (uint32_t i = 0; i < n->nkids; i++)
			resolve(c, n->kids[i]);
		return;
	}
}

int kv_cel_compile(kv_cel_prog **out, const kv_cel_env *env, const char *src, size_t len,
		   kv_cel_error *err)
{
	kv_cel_prog *p = kv_xcalloc(1, sizeof *p);
	p->env = env;
	p->arena = kv_arena_new();
	p->src = kv_arena_strndup(p->arena, src, len);
	p->nuses = env->nvars;
	p->uses = kv_xcalloc(p->nuses ? p->nuses : 1, 1);
	*out = NULL;
	if (kv_cel_parse(&p->ast, p->src, len, &env->limits, p->arena, err) != 0) {
		kv_cel_prog_free(p);
		return -1;
	}
	memset(err, 0, sizeof *err);
	compiler c = {.env = env, .prog = p, .err = err};
	resolve(&c, p->ast.root);
	free(c.scope);
	if (c.failed) {
		kv_cel_prog_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void kv_cel_prog_free(kv_cel_prog *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ncleanups; i++)
		p->cleanups[i].fn(p->cleanups[i].p);
	free(p->cleanups);
	free(p->uses);
	kv_arena_free(p->arena);
	free(p);
}

const kv_cel_ast *kv_cel_prog_ast(const kv_cel_prog *p)
{
	return &p->ast;
}

bool kv_cel_prog_uses(const kv_cel_prog *p, size_t slot)
{
	return slot < p->nuses && p->uses[slot];
}

const kv_cel_fn *const *kv_cel_prog_group(const kv_cel_prog *p, uint32_t index, size_t *n,
					  const char **name)
{
	*n = p->env->groups[index].n;
	*name = p->env->groups[index].key + 2;
	return p->env->groups[index].fns;
}

uint32_t kv_cel_prog_nlocals(const kv_cel_prog *p)
{
	return p->nlocals;
}
