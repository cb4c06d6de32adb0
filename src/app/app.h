/* app.h: the subcommands of the pipit binary. */
#ifndef PP_APP_APP_H
#define PP_APP_APP_H

/* Each returns the process exit status. */
int pp_cmd_serve(int argc, char **argv);
int pp_cmd_admin(int argc, char **argv);
int pp_cmd_smsc(int argc, char **argv);

/* pp_master_key_load reads PIPIT_MASTER_KEY (64 hex) or DIR/master.key,
 * creating the file (mode 0600) with a fresh key on first start.  Returns a
 * 32-byte sodium_malloc'd key the caller frees with sodium_free, or NULL. */
unsigned char *pp_master_key_load(const char *data_dir);

#endif
