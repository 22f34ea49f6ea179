// Reference oracle for ledger/merkle.py: builds an @openzeppelin/merkle-tree StandardMerkleTree
// from the leaves on stdin and prints its root, one proof per leaf (input order) and its dump.
// If the input also holds a "dump" made by Python, it is loaded (the library validates every
// node) and its root printed as "loadedRoot".
// stdin:  {"types": [...], "leaves": [[...], ...], "dump": {...}?}
// stdout: {"root": "0x..", "proofs": [["0x..", ...], ...], "dump": {...}, "loadedRoot": "0x.."?}
import { readFileSync } from 'node:fs';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

const input = JSON.parse(readFileSync(0, 'utf8'));
const tree = StandardMerkleTree.of(input.leaves, input.types);
const output = {
  root: tree.root,
  proofs: input.leaves.map((_, i) => tree.getProof(i)),
  dump: tree.dump(),
};
if (input.dump) {
  output.loadedRoot = StandardMerkleTree.load(input.dump).root;
}
process.stdout.write(JSON.stringify(output));
