/* rowmap.c: a row's plain columns read and bound through a column table. */
#include "store/sqlite/sqlite_int.h"

void sq_read_cols(sqlite3_stmt *st, const sq_col_t *cols, size_t n, void *row) {
  for (size_t i = 0; i < n; i++) {
    void *p = (unsigned char *)row + cols[i].off;
    int k = cols[i].col;
    switch (cols[i].kind) {
      case SQ_I64:
        *(int64_t *)p = sqlite3_column_int64(st, k);
        break;
      case SQ_INT:
        *(int *)p = sqlite3_column_int(st, k);
        break;
      case SQ_BOOL:
        *(bool *)p = sqlite3_column_int(st, k) != 0;
        break;
      case SQ_TEXT:
        sq_col_copy(p, cols[i].size, st, k);
        break;
    }
  }
}

void sq_bind_cols(sqlite3_stmt *st, const sq_col_t *cols, size_t n, const void *row) {
  for (size_t i = 0; i < n; i++) {
    const void *p = (const unsigned char *)row + cols[i].off;
    int k = cols[i].col;
    switch (cols[i].kind) {
      case SQ_I64:
        sqlite3_bind_int64(st, k, *(const int64_t *)p);
        break;
      case SQ_INT:
        sqlite3_bind_int(st, k, *(const int *)p);
        break;
      case SQ_BOOL:
        sqlite3_bind_int(st, k, *(const bool *)p);
        break;
      case SQ_TEXT:
        sq_bind_text(st, k, p);
        break;
    }
  }
}
