#!/usr/bin/env node
import '../dist/cli/runtime-main.js';
