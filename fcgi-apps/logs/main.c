/* aifb-logs: see routes.c for what it answers at /api/logs/. */
#include "app.h"
#include "routes.h"

int main(int argc, char **argv)
{
    return app_main(argc, argv, &logs_app);
}
