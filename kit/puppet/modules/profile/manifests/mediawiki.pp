# An application server: Debian's MediaWiki 1.39 on php-fpm 8.2, served by
# the node's nginx (profile::nginx_edge keeps nginx.conf and the service)
# on $port, with the database and memcached servers from hiera.
#
# LocalSettings.php (/etc/mediawiki) holds only the node's settings; the
# wiki's configuration is a config repository: a lab clones it to
# $staging (its git: step) and `deploy-config 'why'` syncs the staging
# clone's HEAD to $live, which LocalSettings.php includes ($settings, a
# path in it), after a lint. OPcache does not look at files again
# ($opcache_revalidate false): deploy-config has php-fpm drop the live
# copy's scripts from it (/opcache-invalidate, from 127.0.0.1), so the
# rest of MediaWiki stays compiled; a file changed by hand is seen only
# after that or a reload of php-fpm, which empties OPcache (under TCG the
# next pages then take seconds each). Without a config repository the
# wiki runs on LocalSettings.php alone.
#
# Anonymous page views are answered from MediaWiki's HTML file cache
# (/var/cache/mediawiki/html; $file_cache), as a small wiki without a CDN
# is served: under TCG a rendered view costs about 0.5 s of CPU, a cached
# one 0.1 s. Logged-in users, the API and edits are not cached.
#
# On its first run the profile imports the kit's small wiki (a few pages
# about tea and two images, an SQL dump) when the database has no pages,
# and builds the localisation cache, both once.
#
#   profile::mediawiki::max_children: 8
class profile::mediawiki (
  String[1] $sitename = 'Kit Wiki',
  Optional[String[1]] $server = undef,
  String[1] $db_host = 'localhost',
  String[1] $db_name = 'wiki',
  String[1] $db_user = 'wikiuser',
  String[1] $db_password = 'kit-wiki',
  Array[String[1]] $memcached_servers = ['127.0.0.1:11211'],
  Integer[1, 65535] $port = 80,
  String[1] $staging = '/srv/mediawiki-staging',
  String[1] $live = '/srv/mediawiki',
  String[1] $settings = 'wmf-config/CommonSettings.php',
  Enum['static', 'dynamic', 'ondemand'] $pm = 'static',
  Integer[1] $max_children = 4,
  Integer[0] $request_terminate_timeout = 30,
  String[1] $memory_limit = '128M',
  Boolean $opcache_revalidate = false,
  Boolean $file_cache = true,
) {
  $fpm = 'php8.2-fpm'
  package { ['mediawiki', $fpm]:
    ensure => installed,
  }
  file { '/etc/php/8.2/fpm/pool.d/www.conf':
    ensure  => file,
    content => @("POOL"),
      ; Managed by puppet (profile::mediawiki).
      [www]
      user = www-data
      group = www-data
      listen = /run/php/php8.2-fpm.sock
      listen.owner = www-data
      listen.group = www-data
      pm = ${pm}
      pm.max_children = ${max_children}
      pm.start_servers = 1
      pm.min_spare_servers = 1
      pm.max_spare_servers = ${max_children}
      pm.status_path = /fpm-status
      request_terminate_timeout = ${request_terminate_timeout}s
      php_admin_value[memory_limit] = ${memory_limit}
      php_admin_value[opcache.validate_timestamps] = ${Integer($opcache_revalidate)}
      | POOL
    require => Package[$fpm],
    notify  => Service[$fpm],
  }
  file { '/etc/mediawiki/LocalSettings.php':
    ensure  => file,
    content => epp('profile/LocalSettings.php.epp', {
      sitename          => $sitename,
      server            => $server,
      db_host           => $db_host,
      db_name           => $db_name,
      db_user           => $db_user,
      db_password       => $db_password,
      memcached_servers => $memcached_servers,
      file_cache        => $file_cache,
      settings          => "${live}/${settings}",
    }),
    require => Package['mediawiki'],
    notify  => Service[$fpm],
  }
  file { '/etc/deploy-config':
    ensure  => file,
    content => "# Managed by puppet (profile::mediawiki).\nSTAGING=${staging}\nLIVE=${live}\nSERVICE=${fpm}\nLOG=/var/log/deploy-config.log\nINVALIDATE=http://127.0.0.1:${port}/opcache-invalidate\n",
  }
  file { '/usr/local/share/kit':
    ensure => directory,
  }
  file { '/usr/local/share/kit/opcache-invalidate.php':
    ensure => file,
    source => 'puppet:///modules/profile/opcache-invalidate.php',
  }
  file { '/usr/local/bin/deploy-config':
    ensure => file,
    mode   => '0755',
    source => 'puppet:///modules/profile/deploy-config',
  }
  file { '/etc/nginx/sites-available/mediawiki':
    ensure  => file,
    content => @("SITE"),
      # Managed by puppet (profile::mediawiki).
      server {
      	listen ${port};
      	server_name _;
      	root /var/lib/mediawiki;
      	access_log /var/log/nginx/mediawiki.access.log edge;
      	error_log /var/log/nginx/mediawiki.error.log;
      	location = / { return 301 /wiki/Main_Page; }
      	location /wiki/ { rewrite ^ /index.php last; }
      	location ~ ^/(index|load|api)\.php$ {
      		include fastcgi.conf;
      		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
      	}
      	location = /opcache-invalidate {
      		allow 127.0.0.1;
      		deny all;
      		include fastcgi_params;
      		fastcgi_param SCRIPT_FILENAME /usr/local/share/kit/opcache-invalidate.php;
      		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
      	}
      	location = /fpm-status {
      		allow 127.0.0.1;
      		deny all;
      		include fastcgi.conf;
      		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
      	}
      	location ~ ^/(images|resources|skins)/ { }
      	location / { return 404; }
      }
      | SITE
    require => Package['nginx'],
    notify  => Service['nginx'],
  }
  file { '/etc/nginx/sites-enabled/mediawiki':
    ensure  => link,
    target  => '/etc/nginx/sites-available/mediawiki',
    require => Package['nginx'],
    notify  => Service['nginx'],
  }
  file { '/var/lib/mediawiki/images':
    ensure  => directory,
    source  => 'puppet:///modules/profile/mediawiki-images',
    recurse => remote,
    require => Package['mediawiki'],
  }
  file { '/var/cache/mediawiki':
    ensure => directory,
    owner  => 'www-data',
  }
  $mysql = "/usr/bin/mariadb -h ${db_host} -u ${db_user} -p'${db_password}' ${db_name}"
  exec { 'mediawiki seed':
    command   => "/bin/zcat /usr/local/share/mediawiki-seed.sql.gz | ${mysql}",
    unless    => "${mysql} -N -e 'SELECT COUNT(*) FROM page' | /bin/grep -qv '^0$'",
    provider  => shell,
    tries     => 10,
    try_sleep => 3,
    require   => File['/usr/local/share/mediawiki-seed.sql.gz'],
  }
  file { '/usr/local/share/mediawiki-seed.sql.gz':
    ensure => file,
    source => 'puppet:///modules/profile/mediawiki-seed.sql.gz',
  }
  exec { 'mediawiki localisation cache':
    command => '/usr/bin/php /usr/share/mediawiki/maintenance/rebuildLocalisationCache.php --lang en',
    creates => '/var/cache/mediawiki/l10n_cache-en.cdb',
    user    => 'www-data',
    cwd     => '/tmp',
    timeout => 900,
    require => [File['/etc/mediawiki/LocalSettings.php', '/var/cache/mediawiki'], Exec['mediawiki seed']],
    before  => Service[$fpm],
  }
  profile::enabled_unit { $fpm: require => Package[$fpm] }
  service { $fpm:
    ensure => running,
    enable => true,
  }
}
