// Package compiler holds what the JMeter exporters share: how a plan's
// templates, checks, extractors and executors map to JMeter concepts, and
// the warnings for what JMeter cannot express.
//
// The renderings live in sub-packages: jmxexport writes a .jmx for JMeter
// 5.6.3, dslexport a jmeter-java-dsl 2.2 Maven project, and jmximport reads a
// .jmx back into a plan. The mapping is documented in compiler/README.md.
package compiler
