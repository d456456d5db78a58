/* test_render_tree.c: the tree helpers transformers edit objects with: appending to a list is
 * amortized (a list of n items is built with O(log n) new arrays, not n), and a list whose
 * items were set another way keeps its items when appended to. */
#include "harness.h"
#include "render_util.h"

#include "../../src/render/internal.h"

static void test_append_is_amortized(void)
{
	kv_render *r = rt_render();
	kv_node *list = rn_new_list(r, NULL);
	size_t arrays = 0;
	kv_node **last = NULL;
	for (int i = 0; i < 100000; i++) {
		rn_append(r, list, rn_new_string(r, "x", 1, NULL));
		if (list->u.items != last) {
			arrays++;
			last = list->u.items;
		}
	}
	CHECK_INT(list->len, 100000);
	CHECK(arrays <= 20);
	kv_render_free(r);
}

static void test_append_to_a_loaded_list(void)
{
	kv_render *r = rt_render();
	kv_node *doc = rt_doc(r->arena, "[a, b, c]");
	CHECK(doc && doc->type == KV_LIST);
	if (!doc) {
		kv_render_free(r);
		return;
	}
	rn_append(r, doc, rn_new_string(r, "d", 1, NULL));
	/* another list's items put in place of the ones rn_append grew */
	kv_node *other = rt_doc(r->arena, "[x, y]");
	CHECK(other != NULL);
	if (!other) {
		kv_render_free(r);
		return;
	}
	doc->u.items = other->u.items;
	doc->len = other->len;
	rn_append(r, doc, rn_new_string(r, "z", 1, NULL));
	CHECK_INT(doc->len, 3);
	CHECK_STR(kv_str(doc->u.items[0]), "x");
	CHECK_STR(kv_str(doc->u.items[2]), "z");
	CHECK_INT(other->len, 2); /* the other list is untouched */
	kv_render_free(r);
}

int main(void)
{
	static const th_test tests[] = {TEST(test_append_is_amortized), TEST(test_append_to_a_loaded_list)};
	return th_run(tests, sizeof tests / sizeof tests[0]);
}
