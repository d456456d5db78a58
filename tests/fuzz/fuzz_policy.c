/* fuzz_policy.c: libFuzzer target for policy files. The input is read as a file of kvet
 * Policy documents; when it loads, every policy runs on a few fixed objects. Loading must
 * never crash, and its errors always carry a position. */
#include "kvet/arena.h"
#include "kvet/buf.h"
#include "kvet/diag.h"
#include "kvet/policy.h"
#include "kvet/yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const objects[] = {
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod, labels: {app: web}}\n"
	"spec: {replicas: 1, template: {spec: {containers: [{name: a, image: 'nginx:latest', "
	"securityContext: {privileged: true}}]}}}\n",
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\ndata: {a: b}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n",
};

static void run_on(kv_policy_runner *r, const char *text, kv_arena *a)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(text, strlen(text), KV_SYNTAX_YAML, &lim, &d);
	kv_doc doc = {0};
	if (kv_loader_next(l, a, &doc) == 1 && doc.root) {
		char group[64], version[64];
		kv_k8s_split_api_version(kv_str(kv_map_get(doc.root, "apiVersion")), group, version, sizeof group);
		kv_objtype t = {group, version, kv_str(kv_map_get(doc.root, "kind")), 0};
		kv_policy_check(r, doc.root, &t, &d);
	}
	kv_loader_free(l);
	kv_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kv_policy_opts o = {NULL, NULL, 20000};
	kv_policyset *ps = kv_policyset_new(&o);
	kv_buf err = KV_BUF_INIT;
	if (kv_policyset_add_file(ps, "fuzz.yaml", (const char *)data, size, &err) == 0) {
		kv_policy_runner *r = kv_policy_runner_new(ps);
		kv_arena *a = kv_arena_new();
		for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++)
			run_on(r, objects[i], a);
		kv_arena_free(a);
		kv_policy_runner_free(r);
	} else if (!err.len || !strstr(kv_buf_cstr(&err), "fuzz.yaml:")) {
		fprintf(stderr, "fuzz_policy: a load error without a position: %s\n", kv_buf_cstr(&err));
		abort();
	}
	kv_buf_free(&err);
	kv_policyset_free(ps);
	return 0;
}
