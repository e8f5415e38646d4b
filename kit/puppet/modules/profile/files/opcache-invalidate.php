<?php
// Managed by puppet (profile::mediawiki). deploy-config asks php-fpm for
// this through nginx, from 127.0.0.1 only: OPcache forgets the scripts
// under one folder (the config repository's live copy), so that the next
// request compiles the deployed files while the rest of MediaWiki stays
// compiled. It prints how many it dropped.
$dir = rtrim( $_GET['dir'] ?? '', '/' ) . '/';
$n = 0;
foreach ( array_keys( opcache_get_status( true )['scripts'] ?? [] ) as $script ) {
	if ( $dir !== '/' && str_starts_with( $script, $dir ) && opcache_invalidate( $script, true ) ) {
		$n++;
	}
}
echo "$n\n";
