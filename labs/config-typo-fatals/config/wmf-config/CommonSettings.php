<?php
// What every app server runs, after its LocalSettings.php (puppet's):
// each setting of InitialiseSettings.php, for this wiki or by default.
$wmgSettings = require __DIR__ . '/InitialiseSettings.php';
foreach ( $wmgSettings as $name => $values ) {
	$GLOBALS[$name] = $values[$wgDBname] ?? $values['default'];
}
wfLoadExtension( 'Cite' );
wfLoadExtension( 'CategoryTree' );
