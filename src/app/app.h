/* app.h: the subcommands of the pipit binary. */
#ifndef PP_APP_APP_H
#define PP_APP_APP_H

#include <stdbool.h>

#include "core/err.h"

/* Each returns the process exit status. */
int pp_cmd_serve(int argc, char **argv);
int pp_cmd_admin(int argc, char **argv);
int pp_cmd_smsc(int argc, char **argv);

/* pp_master_key_load reads PIPIT_MASTER_KEY (64 hex) or DIR/master.key,
 * creating the file (mode 0600) with a fresh key on first start.  Returns a
 * 32-byte sodium_malloc'd key the caller frees with sodium_free, or NULL. */
unsigned char *pp_master_key_load(const char *data_dir);

/* pp_master_keys_read is the store's key source (pp_store_set_key_source)
 * for `arg`, the data directory: the master key as pp_master_key_load
 * reads it (never creating one) and, while a rotation is under way,
 * DIR/master.key.next.  PP_ERR_IO when the master key cannot be read. */
pp_err_t pp_master_keys_read(void *arg, unsigned char primary[32], unsigned char next[32],
                             bool *has_next);

/* `pipit admin keys rotate-master` and `pipit admin account rotate-key AC…`
 * (keys.c); each returns the exit status. */
int pp_admin_rotate_master(const char *data_dir, const char *store_url);
int pp_admin_rotate_account_key(const char *data_dir, const char *store_url, const char *account);

#endif
