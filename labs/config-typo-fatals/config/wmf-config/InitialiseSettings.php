<?php
// Settings by wiki: setting => [ wiki => value, 'default' => value ].
return [
	'wgSitename' => [
		'default' => 'Tea Wiki',
	],
	'wgRCMaxAge' => [
		'default' => 30 * 86400,
	],
	'wgNamespacesWithSubpages' => [
		'default' => [ NS_TALK => true, NS_USER => true, NS_PROJECT => true ],
	],
	'wgContentNamespaces' => [
		'default' => [ NS_MAIN ],
	],
];
