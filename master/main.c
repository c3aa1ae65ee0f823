/* hornet-master: parse the command line, set up the process, run the test. */
#include <signal.h>

#include "cli.h"
#include "exitcodes.h"
#include "log.h"
#include "run.h"

int main(int argc, char **argv)
{
    struct hn_master_config cfg;
    hn_log_set_prefix("hornet-master");
    int code;
    if (!hn_cli_parse(argc, argv, &cfg, &code))
        return code;
    hn_log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    return hn_run(&cfg);
}
