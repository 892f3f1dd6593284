/* MariaDB Connector/C (Debian: libmariadb-dev), for MariaDB and MySQL. */
#ifndef PAM_SWIFTSQL_CLIBMARIADB_SHIM_H
#define PAM_SWIFTSQL_CLIBMARIADB_SHIM_H
#include <mariadb/mysql.h>
#include <mariadb/errmsg.h>
#include <mariadb/mysqld_error.h>
#endif
