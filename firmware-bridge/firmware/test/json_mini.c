#include "json_mini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define J_MAX_NODES 65536
static jnode_t nodes[J_MAX_NODES];
static int node_count;
static const char *src;
static size_t pos;

static void ws(void) {
  while (src[pos] == ' ' || src[pos] == '\n' || src[pos] == '\r' || src[pos] == '\t') pos++;
}

static int fail(const char *what) {
  fprintf(stderr, "json: %s at offset %zu\n", what, pos);
  return -1;
}

static int new_node(jtype_t t) {
  if (node_count >= J_MAX_NODES) return -1;
  jnode_t *n = &nodes[node_count];
  memset(n, 0, sizeof *n);
  n->type = t;
  n->first = n->next = -1;
  return node_count++;
}

static int value(void);

static int string_span(const char **s, size_t *len) {
  if (src[pos] != '"') return fail("expected string");
  pos++;
  *s = src + pos;
  while (src[pos] && src[pos] != '"') {
    if (src[pos] == '\\') pos++;
    pos++;
  }
  if (!src[pos]) return fail("unterminated string");
  *len = (size_t)(src + pos - *s);
  pos++;
  return 0;
}

static int container(jtype_t t, char close) {
  int self = new_node(t);
  if (self < 0) return fail("too many nodes");
  pos++;
  ws();
  int last = -1;
  if (src[pos] == close) {
    pos++;
    return self;
  }
  for (;;) {
    ws();
    const char *key = NULL;
    size_t key_len = 0;
    if (t == J_OBJ) {
      if (string_span(&key, &key_len) < 0) return -1;
      ws();
      if (src[pos] != ':') return fail("expected ':'");
      pos++;
    }
    int child = value();
    if (child < 0) return -1;
    nodes[child].key = key;
    nodes[child].key_len = key_len;
    if (last < 0) {
      nodes[self].first = child;
    } else {
      nodes[last].next = child;
    }
    last = child;
    nodes[self].count++;
    ws();
    if (src[pos] == ',') {
      pos++;
      continue;
    }
    if (src[pos] == close) {
      pos++;
      return self;
    }
    return fail("expected ',' or end of container");
  }
}

static int value(void) {
  ws();
  char c = src[pos];
  if (c == '{') return container(J_OBJ, '}');
  if (c == '[') return container(J_ARR, ']');
  if (c == '"') {
    int n = new_node(J_STR);
    if (n < 0 || string_span(&nodes[n].str, &nodes[n].len) < 0) return -1;
    return n;
  }
  if (strncmp(src + pos, "true", 4) == 0 || strncmp(src + pos, "false", 5) == 0) {
    int n = new_node(J_BOOL);
    nodes[n].num = c == 't';
    pos += c == 't' ? 4 : 5;
    return n;
  }
  if (strncmp(src + pos, "null", 4) == 0) {
    pos += 4;
    return new_node(J_NULL);
  }
  char *end;
  double d = strtod(src + pos, &end);
  if (end == src + pos) return fail("unexpected character");
  pos = (size_t)(end - src);
  int n = new_node(J_NUM);
  nodes[n].num = d;
  return n;
}

int j_parse(const char *text) {
  src = text;
  pos = 0;
  node_count = 0;
  return value();
}

const jnode_t *j_node(int i) { return &nodes[i]; }

int j_get(int obj, const char *key) {
  if (obj < 0 || nodes[obj].type != J_OBJ) return -1;
  size_t kl = strlen(key);
  for (int c = nodes[obj].first; c >= 0; c = nodes[c].next) {
    if (nodes[c].key_len == kl && memcmp(nodes[c].key, key, kl) == 0) return c;
  }
  return -1;
}

int j_at(int arr, int index) {
  if (arr < 0) return -1;
  int c = nodes[arr].first;
  while (c >= 0 && index-- > 0) c = nodes[c].next;
  return c;
}

int j_len(int arr) { return arr < 0 ? 0 : nodes[arr].count; }
double j_num(int i) { return i < 0 ? 0 : nodes[i].num; }

int j_str_eq(int i, const char *s) {
  return i >= 0 && nodes[i].type == J_STR && nodes[i].len == strlen(s) && memcmp(nodes[i].str, s, nodes[i].len) == 0;
}

void j_str(int i, char *buf, size_t cap) {
  size_t n = 0;
  if (i >= 0 && nodes[i].type == J_STR) {
    n = nodes[i].len < cap - 1 ? nodes[i].len : cap - 1;
    memcpy(buf, nodes[i].str, n);
  }
  buf[n] = '\0';
}
