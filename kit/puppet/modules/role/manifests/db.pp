# A database server: MariaDB, the primary or a replica (profile::mariadb).
class role::db {
  include profile::base
  include profile::mariadb
}
