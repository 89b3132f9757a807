/**
 * Step 1: the lame-duck delay that keeps serving while load balancers stop routing.
 */
@NullMarked
package dev.graceful.shutdown.delay;

import org.jspecify.annotations.NullMarked;
