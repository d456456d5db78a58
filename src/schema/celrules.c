/* celrules.c: CRD validation rules (x-kubernetes-validations) run during schema validation,
 * with self bound to the value the rule sits on. Each rule is compiled on first use by a
 * validator (one per thread) and kept for the rest of the run; transition rules, which read
 * oldSelf, need the object's previous state and are counted, not guessed. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/celeval.h"
#include "kvet/map.h"
#include "kvet/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOT_SELF, SLOT_OLD_SELF };

struct kv_crd_rules {
	kv_cel_env *env;
	kv_cel_run *run;
	kv_map *cache;       /* (schema, string offset) -> index + 1 into progs */
	kv_cel_prog **progs; /* NULL where the text does not compile */
	size_t n, cap;
};

static kv_cel_env *rule_env(void)
{
	kv_cel_env *env = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_cel_env_var(env, "self");
	kv_cel_env_var(env, "oldSelf");
	return env;
}

/* A rule (or messageExpression) of a CRD in the checked files that does not compile is a
 * schema/invalid finding at its place in the CRD. */
static void check_one(kv_diags *d, kv_cel_env *env, const kv_node *text, const char *what)
{
	kv_cel_prog *p;
	kv_cel_error e;
	if (kv_cel_compile(&p, env, text->u.s, text->len, &e) == 0) {
		kv_cel_prog_free(p);
		return;
	}
	uint32_t line = text->line, col = text->col;
	if (d->src && d->src_line0 == 1)
		kv_yaml_scalar_pos(d->src, d->srclen, text, e.pos, &line, &col);
	kv_diag(d, KV_RULE_SCHEMA_INVALID, line, col, NULL, NULL, "the %s does not compile: %s", what, e.msg);
}

void kv_crd_rule_check(kv_diags *d, const kv_node *rule, const kv_node *message_expr)
{
	kv_cel_env *env = rule_env();
	check_one(d, env, rule, "x-kubernetes-validations rule");
	if (message_expr && message_expr->type == KV_STRING)
		check_one(d, env, message_expr, "messageExpression");
	kv_cel_env_free(env);
}

kv_crd_rules *kv_crd_rules_new(uint64_t budget)
{
	kv_crd_rules *cr = kv_xcalloc(1, sizeof *cr);
	cr->env = rule_env();
	cr->run = kv_cel_run_new();
	if (budget)
		kv_cel_run_budget(cr->run, budget);
	cr->cache = kv_map_new();
	return cr;
}

void kv_crd_rules_free(kv_crd_rules *cr)
{
	if (!cr)
		return;
	for (size_t i = 0; i < cr->n; i++)
		kv_cel_prog_free(cr->progs[i]);
	free(cr->progs);
	kv_map_free(cr->cache);
	kv_cel_run_free(cr->run);
	kv_cel_env_free(cr->env);
	free(cr);
}

static kv_cel_prog *program(kv_crd_rules *cr, const kv_schema *s, uint32_t off)
{
	struct {
		const kv_schema *s;
		uint32_t off;
	} key;
	memset(&key, 0, sizeof key);
	key.s = s;
	key.off = off;
	bool added;
	uint64_t *slot = kv_map_slot(cr->cache, &key, sizeof key, &added);
	if (!added)
		return cr->progs[*slot - 1];
	kv_cel_prog *p = NULL;
	kv_cel_error e;
	if (kv_cel_compile(&p, cr->env, sb_str(s, off), sb_strlen(s, off), &e) != 0)
		p = NULL;
	KV_GROW(cr->progs, cr->cap, cr->n + 1);
	cr->progs[cr->n++] = p;
	*slot = cr->n;
	return p;
}

/* The node a rule's fieldPath names below self (".spec.x", ".items['k']"), or NULL. */
static const kv_node *field_path(const kv_node *self, const char *path)
{
	const kv_node *n = self;
	const char *p = path;
	char key[256];
	while (n && *p) {
		size_t k = 0;
		if (*p == '.') {
			p++;
			while (*p && *p != '.' && *p != '[' && k + 1 < sizeof key)
				key[k++] = *p++;
		} else if (p[0] == '[' && (p[1] == '\'' || p[1] == '"')) {
			char q = p[1];
			p += 2;
			while (*p && *p != q && k + 1 < sizeof key)
				key[k++] = *p++;
			if (*p != q || p[1] != ']')
				return NULL;
			p += 2;
		} else {
			return NULL;
		}
		key[k] = '\0';
		n = kv_map_get(n, key);
	}
	return n;
}

static void message(kv_crd_rules *cr, const kv_schema *s, const uint32_t *rule, const kv_cel_val *vars,
		    kv_buf *msg)
{
	if (rule[KV_CEL_MESSAGE_EXPR] != KV_SNONE) {
		kv_cel_prog *mp = program(cr, s, rule[KV_CEL_MESSAGE_EXPR]);
		kv_cel_val m = mp ? kv_cel_eval(cr->run, mp, vars, 2) : kv_cel_null();
		if (m.type == KV_CEL_T_STRING && m.len) {
			kv_buf_add(msg, m.u.s, m.len);
			return;
		}
	}
	if (rule[KV_CEL_MESSAGE] != KV_SNONE)
		kv_buf_add(msg, sb_str(s, rule[KV_CEL_MESSAGE]), sb_strlen(s, rule[KV_CEL_MESSAGE]));
	else
		kv_buf_printf(msg, "failed rule: %s", sb_str(s, rule[KV_CEL_RULE]));
}

kv_crd_outcome kv_crd_rule_eval(kv_crd_rules *cr, const kv_schema *s, const uint32_t *rule, const kv_node *self,
				kv_buf *msg, const kv_node **at)
{
	*at = self;
	kv_cel_prog *p = program(cr, s, rule[KV_CEL_RULE]);
	if (!p)
		return KV_CRD_INVALID;
	if (kv_cel_prog_uses(p, SLOT_OLD_SELF))
		return KV_CRD_TRANSITION;
	kv_cel_run_reset(cr->run);
	static const kv_cel_err no_old = {KV_CEL_E_UNDECLARED, 0, "oldSelf needs the previous revision"};
	kv_cel_val vars[2] = {kv_cel_from_node(self), {.type = KV_CEL_T_ERROR, .u.err = &no_old}};
	kv_cel_val v = kv_cel_eval(cr->run, p, vars, 2);
	if (rule[KV_CEL_FIELD_PATH] != KV_SNONE) {
		const kv_node *target = field_path(self, sb_str(s, rule[KV_CEL_FIELD_PATH]));
		if (target)
			*at = target;
	} else if (v.type == KV_CEL_T_BOOL && v.src) {
		*at = v.src; /* the most specific node the rule read */
	}
	if (v.type == KV_CEL_T_BOOL && v.u.b)
		return KV_CRD_PASS;
	if (v.type == KV_CEL_T_BOOL) {
		message(cr, s, rule, vars, msg);
		if (rule[KV_CEL_REASON] != KV_SNONE)
			kv_buf_printf(msg, " (reason: %s)", sb_str(s, rule[KV_CEL_REASON]));
		return KV_CRD_FAIL;
	}
	if (v.type == KV_CEL_T_ERROR)
		kv_buf_printf(msg, "the rule %s could not be evaluated: %s", sb_str(s, rule[KV_CEL_RULE]), v.u.err->msg);
	else
		kv_buf_printf(msg, "the rule %s is not a bool expression", sb_str(s, rule[KV_CEL_RULE]));
	return KV_CRD_ERROR;
}
