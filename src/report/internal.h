/* internal.h: the renderers behind kv_report. Internal to src/report. */
#ifndef KVET_REPORT_INTERNAL_H
#define KVET_REPORT_INTERNAL_H

#include "kvet/report.h"

void kv_report_text(kv_buf *b, const kv_result *r, const kv_report_opts *o);
void kv_report_json(kv_buf *b, const kv_result *r, const kv_report_opts *o);
void kv_report_github(kv_buf *b, const kv_result *r, const kv_report_opts *o);

#endif
