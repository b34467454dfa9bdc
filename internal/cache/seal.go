package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
)

// Seal encrypts data with key (32 bytes) for an entry made from secrets:
// the cache then holds no secret in any form, only what a build that has
// the secrets can read back. A nil key leaves data as it is.
func Seal(key, data []byte) ([]byte, error) {
	if key == nil {
		return data, nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(data)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, data, nil), nil
}

// Unseal reverses Seal; an entry that does not open with key is an error
// (a miss).
func Unseal(key, data []byte) ([]byte, error) {
	if key == nil {
		return data, nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(data) < aead.NonceSize() {
		return nil, errors.New("sealed entry too short")
	}
	return aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], nil)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
