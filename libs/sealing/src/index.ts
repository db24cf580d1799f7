export * from './lib/sealing.constants';
export * from './lib/sealing-key-pair.generator';
export * from './lib/seal.encryptor';
export * from './lib/open.decryptor';
