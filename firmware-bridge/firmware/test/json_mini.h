/* A small JSON reader for the test vectors (test code only: fixed node pool, no string unescaping). */
#ifndef JSON_MINI_H
#define JSON_MINI_H
#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype_t;

typedef struct {
  jtype_t type;
  double num;
  const char *str; /* strings and keys point into the source text */
  size_t len;
  const char *key;
  size_t key_len;
  int first; /* first child (arrays, objects) */
  int next;  /* next sibling */
  int count;
} jnode_t;

/* Parses text; returns the root node index or -1 (and prints where it failed). */
int j_parse(const char *text);
const jnode_t *j_node(int i);
int j_get(int obj, const char *key); /* -1 when absent */
int j_at(int arr, int index);
int j_len(int arr);
double j_num(int i);
int j_str_eq(int i, const char *s);
/* Copies a string node into buf (NUL-terminated, truncated to cap-1). */
void j_str(int i, char *buf, size_t cap);
#endif
