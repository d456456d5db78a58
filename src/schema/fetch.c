/* fetch.c: one bounded download with libcurl. curl_global_init is not thread-safe in older
 * libcurl releases, so it runs once under pthread_once. */
#include "kvet/fetch.h"

#include "kvet/dynlib.h"

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>

/* libcurl is loaded on first use (see kvet/dynlib.h); the table is written once under
 * pthread_once and only read after. */
#define CURL_FUNCS(X)                                                                         \
	X(global_init, curl_global_init) X(easy_init, curl_easy_init)                         \
	X(easy_setopt, curl_easy_setopt) X(easy_perform, curl_easy_perform)                   \
	X(easy_getinfo, curl_easy_getinfo) X(easy_cleanup, curl_easy_cleanup)                 \
	X(easy_strerror, curl_easy_strerror)

static struct {
#define X(member, f) __typeof__(&f) member;
	CURL_FUNCS(X)
#undef X
} curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static kv_buf load_error = KV_BUF_INIT;
static bool loaded;

static void init_curl(void)
{
	static const char *const names[] = {
#define X(member, f) #f,
		CURL_FUNCS(X)
#undef X
	};
	void *fns[sizeof names / sizeof names[0]];
	if (kv_dynlib_load(KV_LIBCURL_SONAME, "libcurl4", names, fns, sizeof names / sizeof names[0],
			   &load_error) < 0)
		return;
	size_t i = 0;
#define X(member, f) curl.member = (__typeof__(curl.member))fns[i++];
	CURL_FUNCS(X)
#undef X
	curl.global_init(CURL_GLOBAL_DEFAULT);
	loaded = true;
}

typedef struct {
	kv_buf *body;
	uint64_t max;
	size_t start;
	bool too_large;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	sink *s = ud;
	size_t len = size * n;
	if (s->body->len - s->start + len > s->max) {
		s->too_large = true;
		return 0;
	}
	kv_buf_add(s->body, p, len);
	return len;
}

int kv_fetch(const char *url, uint64_t max, kv_buf *body, kv_buf *err)
{
	pthread_once(&once, init_curl);
	if (!loaded) {
		kv_buf_puts(err, kv_buf_cstr(&load_error));
		return -1;
	}
	CURL *c = curl.easy_init();
	if (!c) {
		kv_buf_puts(err, "cannot start libcurl");
		return -1;
	}
	sink s = {body, max, body->len, false};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl.easy_setopt(c, CURLOPT_URL, url);
	curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl.easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl.easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl.easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(c, CURLOPT_USERAGENT, "kvet");
	curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl.easy_perform(c);
	long status = 0;
	curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl.easy_cleanup(c);
	if (s.too_large) {
		kv_buf_printf(err, "%s: larger than %llu bytes", url, (unsigned long long)max);
		return -1;
	}
	if (rc == CURLE_FILE_COULDNT_READ_FILE || status == 404)
		return 1;
	if (rc != CURLE_OK) {
		kv_buf_printf(err, "%s: %s", url, errbuf[0] ? errbuf : curl.easy_strerror(rc));
		return -1;
	}
	if (status >= 400) {
		kv_buf_printf(err, "%s: HTTP status %ld", url, status);
		return -1;
	}
	return 0;
}
