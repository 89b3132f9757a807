/**
 * Step 0, beside readiness: the application leaves service discovery (Spring Cloud's
 * service registrations) as the shutdown starts, and the plan line says how long callers
 * may keep finding it.
 */
@NullMarked
package dev.graceful.shutdown.discovery;

import org.jspecify.annotations.NullMarked;
