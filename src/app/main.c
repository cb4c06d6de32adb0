/* main.c: the pipit binary: dispatch to a subcommand. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "http/http.h"

static void usage(FILE *f) {
  fputs(
      "usage: pipit <command> [options]\n"
      "  serve   run the API server (see pipit serve --help)\n"
      "  admin   manage accounts, carriers and routes (see pipit admin --help)\n"
      "  smsc    run a development SMSC (see pipit smsc --help)\n"
      "  audit   verify the audit log, checkpoints, proofs, blast radius\n"
      "          (see pipit audit --help)\n"
      "  routes  list every HTTP route the server knows: METHOD PATTERN\n",
      f);
}

int main(int argc, char **argv) {
  pp_process_harden(); /* before any secret is read */
  if (sodium_init() < 0) {
    fputs("pipit: libsodium failed to initialise\n", stderr);
    return 1;
  }
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "serve") == 0) return pp_cmd_serve(argc - 1, argv + 1);
  if (strcmp(argv[1], "admin") == 0) return pp_cmd_admin(argc - 1, argv + 1);
  if (strcmp(argv[1], "smsc") == 0) return pp_cmd_smsc(argc - 1, argv + 1);
  if (strcmp(argv[1], "audit") == 0) return pp_cmd_audit(argc - 1, argv + 1);
  if (strcmp(argv[1], "routes") == 0) { /* the router's table, for tests and reviews */
    static const char *const methods[] = {"GET", "POST", "DELETE", "OTHER"};
    for (size_t i = 0; i < pp_http_routes_count; i++)
      printf("%s %s\n", methods[pp_http_routes[i].method], pp_http_routes[i].pattern);
    return 0;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "pipit: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
