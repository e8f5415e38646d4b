// Package classroom runs a lab for a room of trainees on one host: each
// trainee in an instance of their own, the first provisioning (or
// adopting the host's golden state) and the others adopting it in
// parallel, after a check that the host's memory holds the room. The
// room's roster is kept in VLAB_HOME so that later verbs know it.
package classroom
