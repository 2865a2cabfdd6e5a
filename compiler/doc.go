// Package compiler exports plans as jmeter-java-dsl Maven projects and .jmx
// files and imports .jmx into plans. Its implementation lands with the
// JMeter interop issue.
package compiler
