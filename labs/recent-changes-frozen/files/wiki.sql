-- The wiki's two tables the incident touches, as the primary had them the
-- morning of the incident (a small MediaWiki-like schema). Loaded on the
-- primary; the replica gets it by replication.
CREATE DATABASE IF NOT EXISTS wiki;
USE wiki;
CREATE TABLE recentchanges (
  rc_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  rc_timestamp DATETIME NOT NULL,
  rc_title VARCHAR(255) NOT NULL,
  rc_actor VARCHAR(64) NOT NULL,
  KEY rc_timestamp (rc_timestamp)
);
CREATE TABLE ipblocks (
  ipb_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ipb_address VARCHAR(64) NOT NULL,
  ipb_by VARCHAR(64) NOT NULL,
  ipb_reason VARCHAR(255) NOT NULL,
  ipb_timestamp DATETIME NOT NULL
);
INSERT INTO ipblocks VALUES
  (16321, '192.0.2.17', 'Rosa', 'vandalism', '2020-09-21 08:12:00'),
  (16322, '192.0.2.80', 'Rosa', 'spam links', '2020-09-22 17:40:00'),
  (16323, '198.51.100.4', 'Ilse', 'open proxy', '2020-09-23 10:02:00'),
  (16324, '203.0.113.45', 'Ilse', 'vandalism', '2020-09-24 21:15:00'),
  (16325, '198.51.100.61', 'Rosa', 'block evasion', '2020-09-25 07:30:00');
INSERT INTO recentchanges (rc_timestamp, rc_title, rc_actor) VALUES
  (NOW() - INTERVAL 9 MINUTE, 'Main Page', 'Ilse'),
  (NOW() - INTERVAL 5 MINUTE, 'Sencha', 'Rosa'),
  (NOW() - INTERVAL 1 MINUTE, 'Assam', 'Tomas');
