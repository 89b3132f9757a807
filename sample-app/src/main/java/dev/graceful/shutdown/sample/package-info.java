/**
 * The sample application: simulated work, background jobs and cleanups that show every feature of the starter.
 */
@NullMarked
package dev.graceful.shutdown.sample;

import org.jspecify.annotations.NullMarked;
