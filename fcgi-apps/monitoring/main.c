/* aifb-monitoring: see routes.c for what it answers at /api/monitoring/. */
#include "app.h"
#include "routes.h"

int main(int argc, char **argv)
{
    return app_main(argc, argv, &monitoring_app);
}
