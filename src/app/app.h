/* app.h: the subcommands of the pipit binary. */
#ifndef PP_APP_APP_H
#define PP_APP_APP_H

#include <signal.h>
#include <stdbool.h>

#include "core/err.h"
#include "security/audit.h"
#include "security/checkpoint.h"
#include "store/store.h"

/* Each returns the process exit status. */
int pp_cmd_serve(int argc, char **argv);
int pp_cmd_admin(int argc, char **argv);
int pp_cmd_smsc(int argc, char **argv);
int pp_cmd_audit(int argc, char **argv);

/* ---- Keeping secrets in the process (process.c) ------------------------ */

/* pp_process_harden is the first thing every command does, before it reads
 * a secret: umask 077 (files it creates are its user's only), no core dumps
 * (RLIMIT_CORE soft limit 0, PR_SET_DUMPABLE 0, which also keeps other
 * processes of the same user without CAP_SYS_PTRACE out of its memory and
 * /proc files).  A core would hold credentials, keys and message bodies. */
void pp_process_harden(void);

/* pp_process_allow_core_dumps undoes the core-dump part of
 * pp_process_harden (the core limit as the process started with, dumpable
 * again): for debugging only (`pipit serve --allow-core-dumps 1`). */
void pp_process_allow_core_dumps(void);

/* pp_process_block_stop_signals blocks SIGINT and SIGTERM in the calling
 * thread and fills *stop_set with them, and ignores SIGPIPE.  Called before
 * any thread starts, so that every thread inherits the mask and only the
 * caller's sigwait(stop_set) receives them. */
void pp_process_block_stop_signals(sigset_t *stop_set);

/* pp_data_dir_secure creates the data folder `dir` (mode 0700) when it is
 * missing, and otherwise takes group and other permissions off it and off
 * every file and folder directly in it, logging once (a warning) when it
 * had to.  PP_ERR_IO (logged) when it cannot. */
pp_err_t pp_data_dir_secure(const char *dir);

/* ---- The audit log (audit.c, audit_verify.c, audit_blast.c) ------------- */

#define PP_AUDIT_DEFAULT_ORIGIN "pipit/audit"       /* as core/config.c's default */
#define PP_AUDIT_CHECKPOINT_FILE "audit-checkpoint" /* in the data directory */
#define PP_AUDIT_KEY_FILE "audit-key.pub"

/* pp_audit_signer_load makes the checkpoint signer named `origin`: its seed
 * is read from `key_file` (64 hex) when given, else derived from `root`, the
 * store's "audit" key (pp_store_named_key; crypto_kdf "pp-tlog" id 1), which
 * a master-key rotation does not change.  Free with pp_checkpoint_signer_free. */
pp_err_t pp_audit_signer_load(const unsigned char *root, const char *key_file, const char *origin,
                              pp_checkpoint_signer_t **out);

/* pp_audit_publish_key writes the verifier key text to DIR/audit-key.pub. */
pp_err_t pp_audit_publish_key(const char *data_dir, const pp_checkpoint_signer_t *signer);

/* pp_audit_checkpoint_now signs and keeps a checkpoint of the committed
 * tree (unless !force and it did not grow: out->skipped) and, with a
 * data_dir, replaces DIR/audit-checkpoint with it. */
pp_err_t pp_audit_checkpoint_now(pp_store_t *s, const pp_checkpoint_signer_t *signer,
                                 const char *origin, const char *data_dir, bool force,
                                 pp_audit_checkpoint_req_t *out);

/* The periodic checkpointer of pipit serve: every interval_s seconds
 * (0: never) a checkpoint if the log grew; stopping makes a last one. */
typedef struct pp_audit_ticker pp_audit_ticker_t;
pp_err_t pp_audit_ticker_start(pp_store_t *s, const pp_checkpoint_signer_t *signer,
                               const char *origin, const char *data_dir, int interval_s,
                               pp_audit_ticker_t **out);
void pp_audit_ticker_stop(pp_audit_ticker_t *t);

/* pp_audit_cli_event fills *ev for a change made by this command line:
 * principal "cli:<user>", one session per process, no address. */
void pp_audit_cli_event(pp_audit_event_t *ev, pp_audit_kind_t kind, const char *account_sid,
                        const char *request, const char *const *resources, size_t n);

/* What the `pipit audit` commands share. */
typedef struct {
  const char *data, *store_url, *key_file, *origin;
  pp_store_t *store;
} pp_audit_cli_t;

/* pp_audit_cli_verifier is the checkpoints' public key: from the verifier
 * key text `vkey` when given, else from the key file or the master key
 * (PP_ERR_NOT_FOUND when there is none). */
pp_err_t pp_audit_cli_verifier(const pp_audit_cli_t *cli, const char *vkey,
                               pp_checkpoint_verifier_t *out);

int pp_audit_cmd_verify(const pp_audit_cli_t *cli, int argc, char **argv);
int pp_audit_cmd_blast(const pp_audit_cli_t *cli, int argc, char **argv);

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
