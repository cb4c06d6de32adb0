/* log.h: one-line structured logging to stderr.  Never pass secrets. */
#ifndef PP_CORE_LOG_H
#define PP_CORE_LOG_H

typedef enum { PP_LOG_DEBUG, PP_LOG_INFO, PP_LOG_WARN, PP_LOG_ERROR } pp_log_level_t;

/* pp_log_set_level drops messages below `level` (default INFO). */
void pp_log_set_level(pp_log_level_t level);

/* pp_log writes "<time> <level> <module>: <message>\n" to stderr, atomically
 * per line. */
void pp_log(pp_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define pp_log_info(mod, ...) pp_log(PP_LOG_INFO, mod, __VA_ARGS__)
#define pp_log_warn(mod, ...) pp_log(PP_LOG_WARN, mod, __VA_ARGS__)
#define pp_log_error(mod, ...) pp_log(PP_LOG_ERROR, mod, __VA_ARGS__)
#define pp_log_debug(mod, ...) pp_log(PP_LOG_DEBUG, mod, __VA_ARGS__)

#endif
