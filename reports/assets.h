/* Files under reports/assets/ (the HTML report's CSS and JS), embedded at
 * build time so every report is one self-contained file. */
#ifndef WS_REPORTS_ASSETS_H
#define WS_REPORTS_ASSETS_H

#include <stddef.h>

typedef struct ws_asset {
  const char *name; /* "reports/assets/report.css" */
  const char *text;
  size_t len;
} ws_asset;

/* NULL-terminated. */
extern const ws_asset ws_report_assets[];

/* The asset whose name ends with `file` ("report.css"), or NULL. */
const ws_asset *ws_report_asset(const char *file);

#endif
