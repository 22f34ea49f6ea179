#!/usr/bin/env node
// Reference Merkle trees for the contract tests: OpenZeppelin's StandardMerkleTree (npm
// @openzeppelin/merkle-tree, pinned in package.json), so that the ledger's batch leaves and
// proofs are checked against the implementation the design card names, not against our own.
// stdin: {"leaves": [[commitment, cardHash, origin, category, value, [parents...]], ...]}
// stdout: {"root": "0x..", "proofs": [["0x..", ...], ...], "leafHashes": ["0x..", ...]}
'use strict';

const fs = require('node:fs');
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');

const ENCODING = ['bytes32', 'bytes32', 'uint8', 'uint8', 'uint64', 'bytes32[]'];
const { leaves } = JSON.parse(fs.readFileSync(0, 'utf8'));
const tree = StandardMerkleTree.of(leaves, ENCODING);
process.stdout.write(
  JSON.stringify({
    root: tree.root,
    proofs: leaves.map((_, i) => tree.getProof(i)),
    leafHashes: leaves.map((leaf) => tree.leafHash(leaf)),
  }),
);
