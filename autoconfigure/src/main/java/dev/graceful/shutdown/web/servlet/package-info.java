/**
 * Servlet (Tomcat) request tracking and keep-alive hand-off.
 */
@NullMarked
package dev.graceful.shutdown.web.servlet;

import org.jspecify.annotations.NullMarked;
