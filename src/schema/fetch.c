/* fetch.c: one bounded download with libcurl. curl_global_init is not thread-safe in older
 * libcurl releases, so it runs once under pthread_once. */
#include "kvet/fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
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
	CURL *c = curl_easy_init();
	if (!c) {
		kv_buf_puts(err, "cannot start libcurl");
		return -1;
	}
	sink s = {body, max, body->len, false};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kvet");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (s.too_large) {
		kv_buf_printf(err, "%s: larger than %llu bytes", url, (unsigned long long)max);
		return -1;
	}
	if (rc == CURLE_FILE_COULDNT_READ_FILE || status == 404)
		return 1;
	if (rc != CURLE_OK) {
		kv_buf_printf(err, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	if (status >= 400) {
		kv_buf_printf(err, "%s: HTTP status %ld", url, status);
		return -1;
	}
	return 0;
}
