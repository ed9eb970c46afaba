#!/usr/bin/env node
// The `pmx` command: a CommonJS bundle (dist/fast.cjs) answers ls/jlist/describe at once and
// hands every other command to the full command line (dist/cli.cjs).
'use strict';
require('../dist/fast.cjs');
