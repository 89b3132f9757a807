/**
 * The gracefulshutdown Actuator endpoint and health contributor.
 */
@NullMarked
package dev.graceful.shutdown.actuate;

import org.jspecify.annotations.NullMarked;
